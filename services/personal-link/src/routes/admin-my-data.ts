// Admin API: what a data provider RP offers residents in My Data (docs/protocols/my-data.md).
// Registered on the admin app (its Bearer key hook covers /api/).
import { z } from 'zod';
import { myDataSourceBody, myDataSourceView, plClientId } from '@jplink/contracts';
import type { App } from '@jplink/kit';
import type { MyData } from '../my-data/my-data.ts';

const security = [{ bearerAuth: [] }];
const params = z.object({ clientId: plClientId });
const ACTOR = 'admin:api-key';

export function registerAdminMyData(app: App, deps: { myData: MyData }): void {
  const { myData } = deps;
  app.get('/api/v1/clients/:clientId/my-data', { schema: { security, params, response: { 200: myDataSourceView } } }, async (request) => myData.source(request.params.clientId));
  app.put('/api/v1/clients/:clientId/my-data', { schema: { security, params, body: myDataSourceBody, description: 'What this data provider offers residents in My Data: its Sub System Code, the data items a My Data consent covers, and the personal list services Personal-Link reads.', response: { 200: myDataSourceView } } }, async (request) =>
    myData.setSource(request.params.clientId, request.body, ACTOR),
  );
  app.delete('/api/v1/clients/:clientId/my-data', { schema: { security, params } }, async (request, reply) => {
    await myData.removeSource(request.params.clientId, ACTOR);
    return reply.code(204).send();
  });
}
