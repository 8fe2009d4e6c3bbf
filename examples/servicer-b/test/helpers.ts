// The pieces servicer B's tests run against, all real and on loopback: Personal-Link with its dev
// upstream ID providers, B's Adapter Server, B's app on a fresh schema; and a resident signing in
// through them with a cookie-jar HTTP client (a browser without JavaScript).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@jplink/kit';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '@jplink/db/testing';
import { freePort } from '@jplink/testing';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '@jplink/personal-link/testing';
import { startTestAdapter, type RunningAdapter } from '@jplink/adapter-server/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, type TestNetwork } from '@jplink/security-server/testing';
import { createAdapterAdmin, createPersonalLinkApi, defineVitalsDataService, healthConfigSchema, startHealthcareApp, type HealthTables, type RunningHealthcareApp } from '../src/index.ts';

export const B_SUBSYSTEM = 'JP-TEST/COM/2222222222222/healthcare';
export const PERSONAL_LINK_SUBSYSTEM = 'JP-TEST/GOV/9999999999999/personal-link';

export interface Stack {
  pl: RunningPersonalLink;
  adapter: RunningAdapter;
  database: TestDatabase<HealthTables>;
  app: RunningHealthcareApp;
  appUrl: string;
  rp: { clientId: string; clientSecret: string };
  stop(): Promise<void>;
}

/**
 * B's app with its Adapter Server on a fresh schema, signing in with Personal-Link.
 * - `pl`: a Personal-Link already running (servicer A's tests share one); not stopped with the stack.
 * - `network`: a test network (Center, A's and B's Security Servers): B's Adapter Server then sits
 *   behind B's Security Server and B's vitals are published as a personal data service for A's subsystem.
 * - `vitals`: without a network, the vitals data service is defined but not published.
 */
export async function startStack(opts: { adapterEnv?: Record<string, string>; pl?: RunningPersonalLink; network?: TestNetwork; vitals?: boolean } = {}): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'jplink-servicer-b-'));
  const pl = opts.pl ?? (await startTestPersonalLink());
  const behindSs: Record<string, string> = opts.network
    ? { ADAPTER_SS_ADMIN_URL: opts.network.provider.adminUrl, ADAPTER_SS_ADMIN_KEY_FILE: opts.network.provider.ss.files.adminApiKey, ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM }
    : {};
  const adapter = await startTestAdapter({ ADAPTER_PERSONAL_LINK_CLIENT: PERSONAL_LINK_SUBSYSTEM, ...behindSs, ...opts.adapterEnv });
  const database = await createTestDatabase<HealthTables>('healthcare');
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const rp = await pl.registerRp({
    clientId: 'healthcare-app',
    memberSubsystem: B_SUBSYSTEM,
    displayName: { ja: 'すこやか健康手帳', en: 'Sukoyaka Health Notebook' },
    redirectUris: [`${appUrl}/auth/callback`],
    postLogoutRedirectUris: [`${appUrl}/`],
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
  });
  const access = await pl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [] });
  if (access.status !== 200) throw new Error(`api-access: ${access.status} ${JSON.stringify(access.body)}`);
  const credentials = join(dir, 'pl-credentials.json');
  await writeFile(credentials, JSON.stringify(rp), { mode: 0o600 });
  const config = healthConfigSchema.parse({
    JPLINK_MODE: 'development',
    HEALTH_PORT: String(port),
    HEALTH_PUBLIC_URL: appUrl,
    HEALTH_DATABASE_URL: testDatabaseUrl(),
    HEALTH_DATABASE_SCHEMA: database.schema,
    HEALTH_PL_ISSUER: pl.issuer,
    HEALTH_PL_CREDENTIALS_FILE: credentials,
    HEALTH_ADAPTER_ADMIN_URL: adapter.adminUrl,
    HEALTH_ADAPTER_ADMIN_KEY_FILE: adapter.adapter.files.adminApiKey,
    HEALTH_SECURE_COOKIES: 'false',
    HEALTH_LOG_LEVEL: 'silent',
  });
  const logger = createLogger({ name: 'servicer-b', level: process.env.JPLINK_TEST_LOG ?? 'silent' });
  const app = await startHealthcareApp(config, { database, logger });
  if (opts.network || opts.vitals) {
    const admin = createAdapterAdmin({ url: adapter.adminUrl, apiKey: adapter.adminKey });
    // Without a Security Server the service is only defined (reflections need its Sub System Code), not published.
    // As in the devnet, B also describes the vitals' items to Personal-Link.
    const personalLink = createPersonalLinkApi({ issuer: pl.issuer, clientId: rp.clientId, clientSecret: rp.clientSecret });
    try {
      await defineVitalsDataService({ adapter: admin, databaseUrl: testDatabaseUrl(), schema: database.schema, personalLink, ...(opts.network ? { grantTo: CONSUMER_SUBSYSTEM } : { publish: false }) });
    } finally {
      personalLink.close();
    }
  }
  return {
    pl,
    adapter,
    database,
    app,
    appUrl,
    rp,
    async stop() {
      await app.close();
      await adapter.stop();
      if (!opts.pl) await pl.stop();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * From the app's top page (B's, or A's with its `signInPath`) through Personal-Link (dev upstream
 * `google`, test user `user`) until Personal-Link redirects back to the app's callback; returns that
 * callback URL without requesting it.
 */
export async function signInUntilCallback(browser: HttpBrowser, appUrl: string, user = 'hanako', upstream = 'google', signInPath = '/auth/login'): Promise<URL> {
  const top = await browser.request(`${appUrl}/`);
  if (!top.text.includes(`href="${signInPath}"`)) throw new Error('no sign-in link on the top page');
  const atCallback = (u: URL) => u.href.startsWith(`${appUrl}/auth/callback`);
  const page = await drivePersonalLink(browser, await browser.follow(`${appUrl}${signInPath}`, {}, atCallback), user, atCallback, upstream);
  if (!page.stopped) throw new Error(`sign-in did not reach the callback: ${page.url.href}`);
  return page.url;
}

type Followed = Awaited<ReturnType<HttpBrowser['follow']>>;

/** Clicks through Personal-Link's ID choice, the dev upstream's user choice and the consent page until `stop` or a page that is none of them. */
export async function drivePersonalLink(browser: HttpBrowser, start: Followed, user: string, stop: (u: URL) => boolean = () => false, upstream = 'google'): Promise<Followed> {
  let page = start;
  for (let step = 0; step < 6; step++) {
    if (page.stopped || page.status !== 200) return page;
    const forms = parseForms(page.text);
    // Only sign-in pages: the signed-in resident pages also have an "add an upstream ID" form.
    if (!page.url.pathname.includes('/interaction/') && !page.text.includes('<h1>サインイン</h1>')) return page;
    const next = forms.find((f) => f.fields.upstream === upstream) ?? forms.find((f) => f.buttons.some((b) => b.name === 'sub')) ?? forms.find((f) => f.action.endsWith('/confirm'));
    if (!next) return page;
    const fields = next.buttons.some((b) => b.name === 'sub') ? { ...next.fields, sub: user } : next.fields;
    page = await browser.follow(new URL(next.action, page.url), { form: fields }, stop);
  }
  throw new Error('Personal-Link sign-in did not finish');
}

/** A full sign-in; returns the page the app shows afterwards (B: the vitals). */
export async function signIn(browser: HttpBrowser, appUrl: string, user = 'hanako', upstream = 'google', signInPath = '/auth/login') {
  const callback = await signInUntilCallback(browser, appUrl, user, upstream, signInPath);
  return browser.follow(callback);
}

/** Personal-Link's RP API as B (or as `as`, another RP) with client credentials, for checking what Personal-Link recorded. */
export async function plApi(stack: Stack, method: string, path: string, body?: unknown, as: { clientId: string; clientSecret: string } = stack.rp): Promise<{ status: number; body: any }> {
  const origin = new URL(stack.pl.issuer).origin;
  const token = await fetch(`${stack.pl.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${as.clientId}:${as.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials&scope=pl%3Aids%20pl%3Aconsents',
  });
  const { access_token } = (await token.json()) as { access_token: string };
  const response = await fetch(`${origin}/api/pl/v1${path}`, { method, headers: { authorization: `Bearer ${access_token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/**
 * Delivers the newest reflection Personal-Link queued for a consent to B's Adapter Server, as
 * Personal-Link's worker would through the Security Servers (not configured in these tests).
 */
export async function deliverReflection(stack: Stack, consentId: string): Promise<{ payload: any; version: number }> {
  const queued = await stack.pl.database.db.selectFrom('reflection_outbox').select(['payload', 'version']).where('consent_id', '=', consentId).orderBy('version', 'desc').executeTakeFirstOrThrow();
  const delivered = await stack.adapter.data('PUT', `/_personal-link/consents/${consentId}`, { client: PERSONAL_LINK_SUBSYSTEM, body: queued.payload });
  if (delivered.status !== 200) throw new Error(`reflection refused: ${delivered.status} ${JSON.stringify(delivered.body)}`);
  return queued as { payload: any; version: number };
}
