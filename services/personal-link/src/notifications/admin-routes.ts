// Admin API of the consent notification outbox (registered after registerAdminApi, whose Bearer-key
// hook guards every /api/ route): the overall state and one consent's notifications.
import { z } from 'zod';
import { consentId } from '@jplink/contracts';
import type { App } from '@jplink/kit';
import type { PlDb } from '../db/schema.ts';
import { notificationsOf } from './outbox.ts';
import type { NotificationWorker } from './worker.ts';

const security = [{ bearerAuth: [] }];
const notificationView = z.object({
  eventId: z.string(),
  clientId: z.string(),
  consentId: z.string(),
  version: z.int(),
  event: z.enum(['given', 'declined', 'withdrawn', 'expired']),
  state: z.enum(['pending', 'delivered', 'failed-permanently', 'cancelled']),
  attempts: z.int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

export function registerNotificationAdmin(app: App, deps: { db: PlDb; worker: NotificationWorker }) {
  app.get(
    '/api/v1/consent-notifications',
    { schema: { security, description: 'Consent notifications to consumer RPs: whether this instance delivers them, pending count, oldest pending age, given-up rows.', response: { 200: z.object({ running: z.boolean(), pending: z.int(), oldestPendingAgeSeconds: z.number(), failedPermanently: z.int() }) } } },
    async () => deps.worker.status(),
  );
  app.get('/api/v1/consent-notifications/consents/:consentId', { schema: { security, params: z.object({ consentId }), response: { 200: z.array(notificationView) } } }, async (request) => notificationsOf(deps.db, request.params.consentId));
}
