// Admin API of the consent reflection outbox (registered after registerAdminApi, whose Bearer-key
// hook guards every /api/ route): the overall state, one consent's reflections, and a retry of
// reflections the provider refused for good (after the operator fixed the cause, e.g. an access right).
import { z } from 'zod';
import { consentId } from '@jplink/contracts';
import type { App } from '@jplink/kit';
import { sql } from 'kysely';
import type { PlDb } from '../db/schema.ts';
import type { PlAuditor } from '../audit.ts';
import { notifyReflectionWorker, reflectionStatus } from './outbox.ts';
import type { ReflectionWorker } from './worker.ts';

const security = [{ bearerAuth: [] }];
const versionView = z.object({
  version: z.int(),
  provider: z.string(),
  state: z.enum(['pending', 'acknowledged', 'failed-permanently']),
  result: z.enum(['created', 'updated', 'stale', 'superseded']).nullable(),
  attempts: z.int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  acknowledgedAt: z.string().nullable(),
});
const statusView = z.object({ consentId: z.string(), acknowledgedVersion: z.int().nullable(), latest: versionView.nullable(), versions: z.array(versionView) });

export function registerReflectionAdmin(app: App, deps: { db: PlDb; worker: ReflectionWorker; audit: PlAuditor }) {
  const { db, worker, audit } = deps;
  app.get(
    '/api/v1/reflection',
    { schema: { security, description: 'Consent reflection: whether this instance delivers reflections, pending count, oldest pending age, permanent failures.', response: { 200: z.object({ running: z.boolean(), reason: z.string().optional(), pending: z.int(), oldestPendingAgeSeconds: z.number(), failedPermanently: z.int() }) } } },
    async () => worker.status(),
  );
  app.get('/api/v1/reflection/consents/:consentId', { schema: { security, params: z.object({ consentId }), response: { 200: statusView } } }, async (request) => reflectionStatus(db, request.params.consentId));
  const retry = async (consent: string | undefined) => {
    let query = db.updateTable('reflection_outbox').set({ state: 'pending', next_attempt_at: sql`now()` }).where('state', '=', 'failed-permanently');
    if (consent !== undefined) query = query.where('consent_id', '=', consent);
    const rows = await query.returning(['consent_id', 'version']).execute();
    for (const r of rows) await audit({ actor: 'admin:api-key', action: 'reflection.retried', target: r.consent_id, details: { version: r.version } });
    if (rows.length > 0) notifyReflectionWorker();
    return { retried: rows.length };
  };
  const retried = z.object({ retried: z.int() });
  app.post('/api/v1/reflection/retry', { schema: { security, description: 'Sends every reflection that failed permanently again (after fixing the cause, e.g. an access right at the provider).', response: { 200: retried } } }, async () => retry(undefined));
  app.post('/api/v1/reflection/consents/:consentId/retry', { schema: { security, params: z.object({ consentId }), response: { 200: retried } } }, async (request) => retry(request.params.consentId));
}
