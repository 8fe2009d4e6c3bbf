// Personal-Link inside the devnet: the residents' ID service on its own schema `personal_link` of the
// embedded database, with the dev upstream ID providers (several local issuers with test users, no
// passwords), its own member and Security Server (`ss-pl`, subsystem `personal-link`) so consent
// reflections travel as X-Road exchanges to the provider's Adapter Server, and the devnet's
// servicers registered as its relying parties (credentials in files, never in the manifest).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '@jplink/db';
import type { Logger } from '@jplink/kit';
import { createPersonalLink, plConfigSchema, type PersonalLink, type PlTables } from '@jplink/personal-link';
import { DEV_ISSUERS, DEV_UPSTREAM_USERS, startDevUpstream } from '@jplink/personal-link/dev-upstream';
import { devnetPassphrase } from './passphrase.ts';
import type { DevnetMember, DevnetSecurityServer } from './security-servers.ts';

/** Personal-Link's operator: a member of its own (GOV class) with subsystem `personal-link`. */
export const DEVNET_PERSONAL_LINK_MEMBER: Omit<DevnetMember, 'portBase'> = { memberClass: 'GOV', memberCode: '1000000000003', name: 'サンプルパーソナルリンク運営機構', subsystem: 'personal-link', serverCode: 'ss-pl' };
/** Service code of the consent service at data providers (Personal-Link's PL_REFLECTION_SERVICE_CODE default). */
export const CONSENT_SERVICE_CODE = 'consents';
/** Service code of Personal-Link's RP API on its own Security Server (arrival as a subsystem). */
export const RP_API_SERVICE_CODE = 'rp-api';

export interface DevnetRp {
  /** The servicer's member id. */
  member: string;
  clientId: string;
  /** JSON file `{ "clientId", "clientSecret" }` (0600). */
  credentialsFile: string;
  redirectUri: string;
  consentReturnUri: string;
}

export interface DevnetPersonalLink {
  pl: PersonalLink;
  issuer: string;
  appUrl: string;
  adminUrl: string;
  adminApiKeyFile: string;
  upstreamIdps: Array<{ id: string; name: { ja: string; en: string }; issuer: string; verified: boolean; testUsers: Array<{ sub: string; name: string; email: string }> }>;
  rps: DevnetRp[];
  /** The RP API's service on Personal-Link's Security Server (granted to every devnet RP's subsystem). */
  rpApiService: string;
  close(): Promise<void>;
}

export interface DevnetRpInput {
  member: string;
  subsystem: string;
  clientId: string;
  displayName: { ja: string; en: string };
  /** The servicer's app: sign-in returns to `<appBase>/auth/callback`, sign-out to `<appBase>/`. */
  appBase: string;
}

/** The services of a Security Server's own subsystem through its configuration API: POSTs that tolerate 409. */
async function serviceAdmin(ss: DevnetSecurityServer) {
  const key = (await readFile(ss.adminApiKeyFile, 'utf8')).trim();
  const services = `${ss.urls.admin}/api/v1/clients/${ss.subsystem.replaceAll('/', ':')}/services`;
  const call = async (url: string, body: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!response.ok && response.status !== 409) throw new Error(`POST ${url}: HTTP ${response.status} ${await response.text()}`);
    await response.body?.cancel();
  };
  return { services, call };
}

/** The consent service on the provider's Security Server → its Adapter Server, for Personal-Link only (idempotent). */
export async function registerConsentService(provider: DevnetSecurityServer, adapterDataUrl: string, personalLinkSubsystem: string): Promise<void> {
  const { services, call } = await serviceAdmin(provider);
  await call(services, { serviceCode: CONSENT_SERVICE_CODE, url: `${adapterDataUrl}/_personal-link/consents`, timeoutSeconds: 10 });
  await call(`${services}/${CONSENT_SERVICE_CODE}/access-rights/grant`, { subject: { kind: 'subsystem', id: personalLinkSubsystem } });
}

/** The RP API on Personal-Link's Security Server from the listener's OpenAPI document, granted to the RPs' subsystems (idempotent). */
async function publishRpApi(ss: DevnetSecurityServer, serviceUrl: string, rpSubsystems: string[]): Promise<string> {
  const { services, call } = await serviceAdmin(ss);
  const document = await fetch(`${serviceUrl}/openapi.json`);
  if (!document.ok) throw new Error(`the RP API's OpenAPI document: HTTP ${document.status}`);
  await call(services, { serviceCode: RP_API_SERVICE_CODE, url: serviceUrl, timeoutSeconds: 30, openapi: await document.json() });
  for (const subsystem of rpSubsystems) await call(`${services}/${RP_API_SERVICE_CODE}/access-rights/grant`, { subject: { kind: 'subsystem', id: subsystem } });
  return `${ss.subsystem}/${RP_API_SERVICE_CODE}`;
}

export async function startDevnetPersonalLink(options: {
  dataDir: string;
  databaseUrl: string;
  host: string;
  /** Public listener; +1 admin API; +2 the dev upstream ID providers; +3 the RP API for its Security Server. */
  portBase: number;
  securityServer: DevnetSecurityServer;
  rps: DevnetRpInput[];
  logLevel: string;
  logger: Logger;
  onProgress: (step: string) => void;
}): Promise<DevnetPersonalLink> {
  const { host, portBase: p } = options;
  const dir = join(options.dataDir, 'personal-link');
  await mkdir(dir, { recursive: true });
  const appUrl = `http://${host}:${p}`;
  const passphrase = await devnetPassphrase(dir);
  const config = plConfigSchema.parse({
    JPLINK_MODE: 'development',
    PL_DATA_DIR: dir,
    PL_DATABASE_URL: options.databaseUrl,
    PL_SECRET_FILE: join(dir, 'key-passphrase'),
    PL_ISSUER: `${appUrl}/oidc`,
    PL_HOST: host,
    PL_PORT: String(p),
    PL_ADMIN_HOST: host,
    PL_ADMIN_PORT: String(p + 1),
    PL_ALLOW_PRIVATE_NETWORK: 'true',
    PL_LOG_LEVEL: options.logLevel,
    PL_DEV_UPSTREAM: 'true',
    PL_DEV_UPSTREAM_PORT: String(p + 2),
    // Consent reflections go out through Personal-Link's own Security Server.
    PL_SS_URL: options.securityServer.urls.informationSystem,
    PL_SUBSYSTEM: options.securityServer.subsystem,
    // RPs may also call the RP API as their subsystem through the Security Servers.
    PL_SS_API_HOST: host,
    PL_SS_API_PORT: String(p + 3),
  });
  options.onProgress(`dev upstream ID providers (${DEV_ISSUERS.map((i) => i.name).join(', ')}) on port ${p + 2}`);
  const dev = await startDevUpstream({ personalLinkBase: appUrl, host, port: p + 2 });
  const database = await openDatabase<PlTables>({ url: options.databaseUrl, schema: config.PL_DATABASE_SCHEMA, logger: options.logger, poolMax: 4 });
  let pl: PersonalLink | undefined;
  try {
    pl = await createPersonalLink(config, { database, logger: options.logger, passphrase, extraUpstreams: dev.upstreams });
    await pl.listen();
    const adminUrl = `http://${host}:${p + 1}`;
    const key = (await readFile(pl.files.adminApiKey, 'utf8')).trim();
    const admin = async (method: string, path: string, json?: unknown) => {
      const response = await fetch(`${adminUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? (JSON.parse(text) as any) : undefined };
    };

    // The servicers as relying parties: registered once; the secret lives in its file (a new one if the file was lost).
    const rps: DevnetRp[] = [];
    for (const rp of options.rps) {
      const credentialsFile = join(dir, `rp-${rp.clientId}.json`);
      const redirectUri = `${rp.appBase}/auth/callback`;
      const consentReturnUri = `${rp.appBase}/consents/done`;
      options.onProgress(`relying party ${rp.clientId} (${rp.subsystem})`);
      const registration = { memberSubsystem: rp.subsystem, displayName: rp.displayName, redirectUris: [redirectUri], postLogoutRedirectUris: [`${rp.appBase}/`], grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'] };
      const existing = await admin('GET', `/api/v1/clients/${rp.clientId}`);
      const stored = await readFile(credentialsFile, 'utf8').then((t) => JSON.parse(t) as { clientSecret?: string }, () => undefined);
      let secret: string | undefined = stored?.clientSecret;
      if (existing.status === 404) {
        const created = await admin('POST', '/api/v1/clients', { clientId: rp.clientId, ...registration });
        if (created.status !== 201) throw new Error(`registering RP ${rp.clientId}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
        secret = created.body.clientSecret;
      } else {
        const updated = await admin('PUT', `/api/v1/clients/${rp.clientId}`, registration);
        if (updated.status !== 200) throw new Error(`updating RP ${rp.clientId}: HTTP ${updated.status} ${JSON.stringify(updated.body)}`);
        if (!secret) {
          const rotated = await admin('POST', `/api/v1/clients/${rp.clientId}/secret`);
          if (rotated.status !== 200) throw new Error(`new secret for RP ${rp.clientId}: HTTP ${rotated.status}`);
          secret = rotated.body.clientSecret;
        }
      }
      if (secret !== stored?.clientSecret) await writeFile(credentialsFile, `${JSON.stringify({ clientId: rp.clientId, clientSecret: secret }, null, 2)}\n`, { mode: 0o600 });
      const access = await admin('PUT', `/api/v1/clients/${rp.clientId}/api-access`, { scopes: ['pl:ids', 'pl:consents'], consentReturnUris: [consentReturnUri] });
      if (access.status !== 200) throw new Error(`RP API access of ${rp.clientId}: HTTP ${access.status} ${JSON.stringify(access.body)}`);
      rps.push({ member: rp.member, clientId: rp.clientId, credentialsFile, redirectUri, consentReturnUri });
    }

    options.onProgress(`RP API published on ${options.securityServer.subsystem}/${RP_API_SERVICE_CODE}`);
    const rpApiService = await publishRpApi(options.securityServer, `http://${host}:${p + 3}/api/pl/v1`, options.rps.map((r) => r.subsystem));

    const running = pl;
    return {
      pl: running,
      issuer: config.PL_ISSUER,
      appUrl,
      adminUrl,
      adminApiKeyFile: running.files.adminApiKey,
      upstreamIdps: DEV_ISSUERS.map((i) => ({ id: i.name, name: i.label, issuer: dev.issuers[i.name]!, verified: i.verified, testUsers: DEV_UPSTREAM_USERS.map((u) => ({ sub: u.sub, name: u.name, email: u.email })) })),
      rps,
      rpApiService,
      async close() {
        await running.close();
        await dev.close();
        await database.close();
      },
    };
  } catch (error) {
    await pl?.close().catch(() => {});
    await dev.close().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}
