// Resident routes of My Data (docs/protocols/my-data.md): the list of linked providers offering it,
// the consent form (CSRF), one provider's data fetched through JP-Link, and its JSON download.
// Registered inside the resident consent routes' scope (same error pages, same session helpers).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { App } from '@jplink/kit';
import { verifyCsrf, type Session, type Sessions } from '@jplink/ui';
import { plClientId } from '@jplink/contracts';
import type { MyData } from '../my-data/my-data.ts';
import type { DataItems } from '../consent/data-items.ts';
import { pageHeaders } from '../pages/frame.ts';
import { myDataListPage, myDataPage } from '../pages/my-data-pages.ts';
import type { ResidentSession } from './resident-web.ts';

const params = z.object({ clientId: plClientId });

export function myDataRoutes(
  app: App,
  deps: {
    myData: MyData;
    dataItems: DataItems;
    sessions: Sessions<ResidentSession>;
    signedIn: (request: FastifyRequest) => Promise<Session<ResidentSession>>;
    orSignIn: (request: FastifyRequest, reply: FastifyReply, path: string) => Promise<Session<ResidentSession> | undefined>;
  },
): void {
  const { myData, dataItems, sessions, signedIn, orSignIn } = deps;

  app.get('/my/data', { schema: { hide: true } }, async (request, reply) => {
    const session = await orSignIn(request, reply, '/my/data');
    if (!session) return reply;
    const offers = await myData.offers(session.data.baseId);
    const page = myDataListPage({ locale: request.locale, csrfToken: session.csrfToken, available: myData.available, offers, labels: await dataItems.labelsFor(offers.map((o) => ({ provider_client_id: o.clientId, subsystem_code: o.subsystemCode }))) });
    return reply.headers(pageHeaders()).send(page.html);
  });

  app.post('/my/data/:clientId/consent', { schema: { hide: true, params } }, async (request, reply) => {
    const session = await sessions.read(request);
    verifyCsrf(request, session);
    const s = await signedIn(request);
    await myData.consent(s.data.baseId, request.params.clientId);
    return reply.redirect(`/my/data/${request.params.clientId}`, 303);
  });

  app.get('/my/data/:clientId', { schema: { hide: true, params } }, async (request, reply) => {
    const session = await orSignIn(request, reply, `/my/data/${request.params.clientId}`);
    if (!session) return reply;
    const result = await myData.fetch(session.data.baseId, request.params.clientId);
    return reply.headers(pageHeaders()).send(myDataPage({ locale: request.locale, csrfToken: session.csrfToken, result, labels: await dataItems.labelsFor([{ provider_client_id: result.provider.clientId, subsystem_code: result.provider.subsystemCode }]) }).html);
  });

  // The same data as a file: fetched afresh (each download is an exchange of its own, logged by both
  // Security Servers), never cached.
  app.get('/my/data/:clientId/download', { schema: { hide: true, params } }, async (request, reply) => {
    const s = await signedIn(request);
    const result = await myData.fetch(s.data.baseId, request.params.clientId);
    const file = `my-data-${request.params.clientId}-${result.fetchedAt.slice(0, 10)}.json`;
    return reply
      .headers({ 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${file}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      .send(`${JSON.stringify({ format: 'jplink-my-data/1', ...result }, null, 2)}\n`);
  });
}
