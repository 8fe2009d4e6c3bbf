// Resident routes for consents (approve, decline, withdraw; history with the chain's verification),
// linked services (unlink) and provision history. Signed-in residents only (the my-IDs session);
// every form has the session's CSRF token; a resident reaches only their own consents (another
// resident's consent answers 404 like an unknown one).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type App, type Logger } from '@jplink/kit';
import { translator, verifyCsrf, type LoginCsrf, type Sessions, type SafeHtml } from '@jplink/ui';
import { plConsentId, plClientId } from '@jplink/contracts';
import { PL_ERRORS } from '../errors.ts';
import type { DataItems } from '../consent/data-items.ts';
import type { Consents } from '../consent/consents.ts';
import type { Links } from '../links/links.ts';
import type { RpRegistry } from '../oidc/clients.ts';
import type { UpstreamBroker } from '../upstream/broker.ts';
import { pageHeaders } from '../pages/frame.ts';
import { plMessages } from '../pages/messages.ts';
import { chooseUpstreamPage } from '../pages/resident-pages.ts';
import { consentDetailPage, consentsPage, decisionFlash, provisionPage, servicesPage } from '../pages/consent-pages.ts';
import type { PlDb } from '../db/schema.ts';
import { reflectionStatus, waitForAcknowledgement } from '../reflection/outbox.ts';
import { showPageError, type ResidentSession } from './resident-web.ts';
import { myDataRoutes } from './resident-my-data.ts';
import type { MyData } from '../my-data/my-data.ts';
import { MY_DATA_CLIENT_ID, MY_DATA_NAME } from '../my-data/self-access.ts';

/** Cookie that brings a resident back to a consent request after signing in. */
export const RETURN_COOKIE = 'pl_return';
export const RETURN_PATH = /^\/my\/consents\/pc_[A-Za-z0-9_-]{16,64}$/;

export interface ResidentConsentDeps {
  db: PlDb;
  consents: Consents;
  /** The providers' labels of their data items (display only). */
  dataItems: DataItems;
  /** The reflection worker runs (PL_SS_URL and PL_SUBSYSTEM set): approvals and withdrawals wait for the provider's acknowledgement. */
  reflectionConfigured: boolean;
  /** How long an approval or withdrawal waits for the provider's acknowledgement before answering (default 5 s). */
  acknowledgementTimeoutMs?: number;
  links: Links;
  /** My Data (/my/data): its routes live in resident-my-data.ts, in this scope. */
  myData: MyData;
  registry: RpRegistry;
  broker: UpstreamBroker;
  sessions: Sessions<ResidentSession>;
  loginCsrf: LoginCsrf;
  secure: boolean;
  logger: Logger;
}

const send = (reply: FastifyReply, page: SafeHtml, status = 200) => reply.code(status).headers(pageHeaders()).send(page.html);
const consentParams = z.object({ consentId: plConsentId });
const doneQuery = z.object({ done: z.enum(['given', 'declined', 'withdrawn', 'unlinked']).optional(), lang: z.string().optional() });

export function registerResidentConsents(root: App, deps: ResidentConsentDeps): void {
  root.register(async (scope) => {
    const app = scope as unknown as App;
    app.setErrorHandler((error, request, reply) => showPageError(deps.logger, request, reply, error));
    routes(app, deps);
  });
}

function routes(app: App, deps: ResidentConsentDeps): void {
  const { consents, links, registry, sessions, dataItems } = deps;

  const names = async () => new Map([...(await registry.list()).map((c) => [c.clientId, c.displayName] as const), [MY_DATA_CLIENT_ID, MY_DATA_NAME] as const]);
  const signedIn = async (request: FastifyRequest) => {
    const session = await sessions.read(request);
    if (!session) throw new AppError(PL_ERRORS.PL_SIGN_IN_REQUIRED);
    return session;
  };
  /** GET pages: without a session, offer the sign-in and come back here afterwards. */
  const orSignIn = async (request: FastifyRequest, reply: FastifyReply, path: string) => {
    const session = await sessions.read(request);
    if (session) return session;
    if (RETURN_PATH.test(path)) reply.header('set-cookie', `${RETURN_COOKIE}=${encodeURIComponent(path)}; Path=/; Max-Age=1800; HttpOnly; SameSite=Lax${deps.secure ? '; Secure' : ''}`);
    const page = chooseUpstreamPage({ locale: request.locale, rpName: null, upstreams: deps.broker.list(), action: '/my/sign-in', csrfToken: deps.loginCsrf.issueLoginCsrf(reply) });
    reply.code(200).headers(pageHeaders(deps.broker.list().map((u) => new URL(u.issuer).origin))).send(page.html);
    return undefined;
  };
  const done = (locale: 'ja' | 'en', key: string | undefined) => {
    if (!key) return undefined;
    const t = translator(plMessages, locale);
    const text = { given: t('consentGivenDone'), declined: t('consentDeclinedDone'), withdrawn: t('consentWithdrawnDone'), unlinked: t('serviceUnlinkedDone') }[key];
    return text ? { kind: 'success' as const, text } : undefined;
  };

  app.get('/my/consents', { schema: { hide: true, querystring: doneQuery } }, async (request, reply) => {
    const session = await orSignIn(request, reply, '/my/consents');
    if (!session) return reply;
    const flash = done(request.locale, request.query.done);
    const list = await consents.listForResident(session.data.baseId);
    return send(reply, consentsPage({ locale: request.locale, csrfToken: session.csrfToken, consents: list, names: await names(), labels: await dataItems.labelsFor(list), ...(flash ? { flash } : {}) }));
  });

  app.get('/my/consents/:consentId', { schema: { hide: true, params: consentParams, querystring: doneQuery } }, async (request, reply) => {
    const session = await orSignIn(request, reply, `/my/consents/${request.params.consentId}`);
    if (!session) return reply;
    const detail = await consents.detailForResident(session.data.baseId, request.params.consentId);
    const row = detail.row;
    const now = Date.now();
    const pending = row.status === 'requested' && new Date(row.request_expires_at).getTime() > now && new Date(row.valid_until).getTime() > now;
    const [reflection, names_, labels] = await Promise.all([reflectionStatus(deps.db, row.consent_id), names(), dataItems.labelsFor([row])]);
    // After approving or withdrawing: "done" only once the provider has this version (else: being delivered).
    const decided = request.query.done;
    const flash =
      (decided === 'given' && row.status === 'given') || (decided === 'withdrawn' && row.status === 'withdrawn')
        ? decisionFlash(request.locale, decided, row, reflection, names_)
        : done(request.locale, decided);
    return send(reply, consentDetailPage({ locale: request.locale, csrfToken: session.csrfToken, consent: row, events: detail.events, chain: detail.chain, names: names_, labels, pending, reflection, ...(flash ? { flash } : {}) }));
  });

  for (const action of ['approve', 'decline', 'withdraw'] as const) {
    app.post(`/my/consents/:consentId/${action}`, { schema: { hide: true, params: consentParams } }, async (request, reply) => {
      const session = await sessions.read(request);
      verifyCsrf(request, session);
      const s = await signedIn(request);
      const id = request.params.consentId;
      const row = action === 'withdraw' ? await consents.withdraw(s.data.baseId, id) : await consents.decide(s.data.baseId, id, action === 'approve' ? 'given' : 'declined');
      // The change (and its outbox row) is committed: let the worker deliver it to the provider and
      // wait a few seconds, so the resident is told "withdrawn" only once the provider has it.
      if (action !== 'decline' && deps.reflectionConfigured) await waitForAcknowledgement(deps.db, id, row.version, deps.acknowledgementTimeoutMs ?? 5000);
      const result = action === 'approve' ? 'given' : action === 'decline' ? 'declined' : 'withdrawn';
      return reply.redirect(`/my/consents/${id}?done=${result}`, 303);
    });
  }

  app.get('/my/services', { schema: { hide: true, querystring: doneQuery } }, async (request, reply) => {
    const session = await orSignIn(request, reply, '/my/services');
    if (!session) return reply;
    const flash = done(request.locale, request.query.done);
    return send(reply, servicesPage({ locale: request.locale, csrfToken: session.csrfToken, services: await links.residentServices(session.data.baseId), ...(flash ? { flash } : {}) }));
  });

  app.post('/my/services/:clientId/unlink', { schema: { hide: true, params: z.object({ clientId: plClientId }) } }, async (request, reply) => {
    const session = await sessions.read(request);
    verifyCsrf(request, session);
    const s = await signedIn(request);
    await consents.unlink(s.data.baseId, request.params.clientId, 'resident');
    return reply.redirect('/my/services?done=unlinked', 303);
  });

  myDataRoutes(app, { myData: deps.myData, dataItems, sessions, signedIn, orSignIn: async (request, reply, path) => (await orSignIn(request, reply, path)) ?? undefined });

  app.get('/my/provision', { schema: { hide: true, querystring: doneQuery } }, async (request, reply) => {
    const session = await orSignIn(request, reply, '/my/provision');
    if (!session) return reply;
    const rows = await consents.provisionHistory(session.data.baseId);
    return send(reply, provisionPage({ locale: request.locale, csrfToken: session.csrfToken, names: await names(), labels: await dataItems.labelsFor(rows), rows }));
  });
}
