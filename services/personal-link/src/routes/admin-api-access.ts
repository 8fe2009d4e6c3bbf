// Admin API: what an RP may do on the RP API (scopes) and where residents may return after deciding
// on its consent requests. Registered on the admin app (its Bearer key hook covers /api/).
import { z } from 'zod';
import { rpApiAccessBody, rpApiAccessView } from '@jplink/contracts';
import type { App } from '@jplink/kit';
import type { Links } from '../links/links.ts';

const security = [{ bearerAuth: [] }];
const params = z.object({ clientId: z.string().regex(/^[A-Za-z0-9._-]{3,64}$/) });

export function registerAdminApiAccess(app: App, deps: { links: Links }): void {
  app.get('/api/v1/clients/:clientId/api-access', { schema: { security, params, response: { 200: rpApiAccessView } } }, async (request) => deps.links.apiAccess(request.params.clientId));
  app.put('/api/v1/clients/:clientId/api-access', { schema: { security, params, body: rpApiAccessBody, response: { 200: rpApiAccessView } } }, async (request) =>
    deps.links.setApiAccess(request.params.clientId, request.body.scopes, request.body.consentReturnUris, 'admin:api-key'),
  );
}
