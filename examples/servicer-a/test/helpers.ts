// The pieces servicer A's tests run against, all real and on loopback: Personal-Link with its dev
// upstream ID providers, servicer B (its app and Adapter Server, from B's test helpers) and A's app
// on a fresh schema; with `network`, also a Center and the Security Servers of A and B, B's vitals
// published as a personal data service for A's subsystem. A resident is a cookie-jar HTTP client
// (a browser without JavaScript) or Chromium.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@jplink/kit';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '@jplink/db/testing';
import { freePort } from '@jplink/testing';
import { HttpBrowser, parseForms, startTestPersonalLink, type RunningPersonalLink } from '@jplink/personal-link/testing';
import { CONSUMER_SUBSYSTEM, PROVIDER_SUBSYSTEM, startTestNetwork, type TestNetwork } from '@jplink/security-server/testing';
import { deliverReflection, drivePersonalLink, signIn as signInTo, signInUntilCallback, startStack, type Stack as HealthStack } from '../../servicer-b/test/helpers.ts';
import { readRpCredentials, shopConfigSchema, startShoppingApp, type ShopTables } from '../src/index.ts';

export { deliverReflection, drivePersonalLink, plApi } from '../../servicer-b/test/helpers.ts';

export interface ShopStack {
  pl: RunningPersonalLink;
  net: TestNetwork | undefined;
  /** Servicer B: the data provider. */
  health: HealthStack;
  database: TestDatabase<ShopTables>;
  appUrl: string;
  rp: { clientId: string; clientSecret: string };
  stop(): Promise<void>;
}

/** `plEnv`: Personal-Link's extra settings; `consentNotificationUri`: A's registered endpoint for consent notifications (absent → none). */
export async function startShopStack(opts: { network?: boolean; plEnv?: Record<string, string>; consentNotificationUri?: string } = {}): Promise<ShopStack> {
  const dir = await mkdtemp(join(tmpdir(), 'jplink-servicer-a-'));
  const net = opts.network ? await startTestNetwork() : undefined;
  const pl = await startTestPersonalLink(opts.plEnv);
  const health = await startStack({ pl, vitals: true, ...(net ? { network: net } : {}) });
  const database = await createTestDatabase<ShopTables>('shopping');
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const rp = await pl.registerRp({
    clientId: 'shopping-app',
    memberSubsystem: CONSUMER_SUBSYSTEM,
    displayName: { ja: 'おかいものサポート', en: 'Shopping Support' },
    redirectUris: [`${appUrl}/auth/callback`],
    postLogoutRedirectUris: [`${appUrl}/`],
    grantTypes: ['authorization_code', 'client_credentials'],
    ...(opts.consentNotificationUri ? { consentNotificationUri: opts.consentNotificationUri } : {}),
  });
  const access = await pl.admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [`${appUrl}/consents/done`] });
  if (access.status !== 200) throw new Error(`api-access: ${access.status} ${JSON.stringify(access.body)}`);
  const credentials = join(dir, 'pl-credentials.json');
  await writeFile(credentials, JSON.stringify(rp), { mode: 0o600 });
  const config = shopConfigSchema.parse({
    JPLINK_MODE: 'development',
    SHOP_PORT: String(port),
    SHOP_PUBLIC_URL: appUrl,
    SHOP_DATABASE_URL: testDatabaseUrl(),
    SHOP_DATABASE_SCHEMA: database.schema,
    SHOP_PL_ISSUER: pl.issuer,
    SHOP_PL_CREDENTIALS_FILE: credentials,
    // Without the network: a port nobody listens on (A's Security Server is down).
    SHOP_SS_URL: net ? net.consumer.informationSystemUrl : `http://127.0.0.1:${await freePort()}`,
    SHOP_CLIENT: CONSUMER_SUBSYSTEM,
    SHOP_PROVIDER: PROVIDER_SUBSYSTEM,
    SHOP_PROVIDER_CLIENT_ID: health.rp.clientId,
    SHOP_PROVIDER_SUBSYSTEM_CODE: 'vitals',
    SHOP_PROVIDER_APP_URL: health.appUrl,
    SHOP_SECURE_COOKIES: 'false',
    SHOP_LOG_LEVEL: 'silent',
  });
  const logger = createLogger({ name: 'servicer-a', level: process.env.JPLINK_TEST_LOG ?? 'silent' });
  const app = await startShoppingApp(config, { database, logger, credentials: await readRpCredentials(credentials) });
  return {
    pl,
    net,
    health,
    database,
    appUrl,
    rp,
    async stop() {
      await app.close();
      await health.stop();
      await pl.stop();
      await net?.stop();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Signs the resident in to A (dev upstream `google` unless given); returns the page A shows afterwards. */
export const signIn = (browser: HttpBrowser, stack: ShopStack, user = 'hanako', upstream = 'google') => signInTo(browser, stack.appUrl, user, upstream, '/auth/sign-in');
export const signInUntilCallbackAtA = (browser: HttpBrowser, stack: ShopStack, user = 'hanako') => signInUntilCallback(browser, stack.appUrl, user, 'google', '/auth/sign-in');

/** Signs the resident in to B, which links B at Personal-Link (B is the provider of a consent). */
export const linkB = (stack: ShopStack, user = 'hanako') => signInTo(new HttpBrowser(), stack.health.appUrl, user);

/** Submits a form of `page` whose action ends with `action`, with its own hidden fields (the CSRF token). */
export async function submit(browser: HttpBrowser, page: { url: URL; text: string }, action: string, stop?: (u: URL) => boolean) {
  const found = parseForms(page.text).find((f) => f.action.endsWith(action));
  if (!found) throw new Error(`no form ${action} on ${page.url.href}`);
  return browser.follow(new URL(found.action, page.url), { form: found.fields }, stop);
}

/**
 * A signed-in resident asks for consent at A's recommendations page, approves it in Personal-Link,
 * the reflection reaches B's Adapter Server, and the resident follows Personal-Link's link back to
 * A's /consents/done. Returns the consent id and the page A shows at the end.
 */
export async function giveConsent(browser: HttpBrowser, stack: ShopStack, user = 'hanako') {
  const recommendations = await browser.request(`${stack.appUrl}/recommendations`);
  const atPl = (u: URL) => u.origin === new URL(stack.pl.baseUrl).origin;
  const toPl = await submit(browser, recommendations, '/consents/request', atPl);
  if (!toPl.stopped) throw new Error(`the consent request did not go to Personal-Link: ${toPl.status} ${toPl.url.href}`);
  const approvalUrl = toPl.url;
  const consentId = decodeURIComponent(approvalUrl.pathname.split('/').pop()!);
  // Personal-Link may ask the resident to sign in first; then the approval page.
  await drivePersonalLink(browser, await browser.follow(approvalUrl), user);
  const approval = await browser.follow(approvalUrl);
  const decided = await submit(browser, approval, '/approve');
  await deliverReflection(stack.health, consentId);
  const back = /href="([^"]*\/consents\/done)"/.exec(decided.text)?.[1];
  if (!back) throw new Error('Personal-Link shows no link back to A');
  return { consentId, approvalUrl, decided, page: await browser.follow(back.replaceAll('&amp;', '&')) };
}
