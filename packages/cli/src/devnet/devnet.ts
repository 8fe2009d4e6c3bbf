// `jplink devnet`: the local JP-Link network in one process, on the embedded database, with its
// state in a data folder so a restart continues where it stopped. Writes `.jplink/devnet.json`.
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DevnetManifest } from '@jplink/contracts';
import { resolveDatabase, type ResolvedDatabase } from '@jplink/db';
import { createLogger, type Logger } from '@jplink/kit';
import type { Progress } from '../progress.ts';
import { SAMPLE_SUBSYSTEM_CODE, startDevnetAdapterServer, type DevnetAdapterServer } from './adapter-server.ts';
import { startDevnetCenter, type DevnetCenter } from './center.ts';
import { curlCommand, removeManifest, writeManifest } from './manifest.ts';
import { devnetPorts } from './ports.ts';
import { configureSampleService, DEVNET_CONSUMER, DEVNET_PROVIDER, ensureMembers, SAMPLE_SERVICE_CODE, startDevnetSecurityServer, type DevnetSecurityServer } from './security-servers.ts';
import { startDevnetHealthcareApp, startDevnetShoppingApp } from './servicer-apps.ts';
import { CONSENT_SERVICE_CODE, DEVNET_PERSONAL_LINK_MEMBER, registerConsentService, startDevnetPersonalLink } from './personal-link.ts';

export interface DevnetOptions {
  /** Folder for the manifest and the network state (default `.jplink`). */
  home: string;
  portBase: number;
  host: string;
  instance: string;
  logLevel: string;
}

export interface Devnet {
  manifest: DevnetManifest;
  manifestPath: string;
  stop(): Promise<void>;
}

export async function startDevnet(options: DevnetOptions, progress: Progress): Promise<Devnet> {
  const home = resolve(options.home);
  const dataDir = join(home, 'devnet');
  await mkdir(dataDir, { recursive: true });
  const logger: Logger = createLogger({ name: 'devnet', level: options.logLevel });
  const ports = devnetPorts(options.portBase);
  const closers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => logger.error({ err: error }, 'devnet shutdown step failed'));
    }
  };

  try {
    progress.step('starting the embedded PostgreSQL (PGlite) — development only');
    const database: ResolvedDatabase = await resolveDatabase({ dataDir: join(dataDir, 'pgdata'), production: false, logger });
    closers.push(async () => database.embedded?.stop());
    progress.done(`database ready (${database.kind})`);

    progress.step('starting the JP-Link Center (CA, OCSP, TSA, global configuration, registration)');
    const center: DevnetCenter = await startDevnetCenter({
      dataDir,
      databaseUrl: database.url,
      instance: options.instance,
      host: options.host,
      ports,
      logger,
      onProgress: (step) => progress.step(`  ${step}`),
    });
    closers.push(() => center.close());
    progress.done(`Center ready, global configuration version ${center.center.publisher.current?.version}`);

    progress.step('starting three members’ Security Servers (keys, certificates, registration at the Center): two servicers and Personal-Link')
    const adminKey = (await readFile(center.center.files.adminApiKey, 'utf8')).trim();
    await ensureMembers(center.urls.admin, adminKey, [DEVNET_CONSUMER, DEVNET_PROVIDER, DEVNET_PERSONAL_LINK_MEMBER]);
    const common = { instance: options.instance, host: options.host, dataDir, anchorFile: center.center.files.anchor, databaseUrl: database.url, logger, onProgress: (step: string) => progress.step(`  ${step}`) };
    // Enrolled side by side: most of an enrolment is waiting for the Center's next configuration.
    const started = await Promise.allSettled([
      startDevnetSecurityServer({ ...common, member: { ...DEVNET_CONSUMER, portBase: ports.securityServerA } }),
      startDevnetSecurityServer({ ...common, member: { ...DEVNET_PROVIDER, portBase: ports.securityServerB } }),
      startDevnetSecurityServer({ ...common, member: { ...DEVNET_PERSONAL_LINK_MEMBER, portBase: ports.securityServerPl } }),
    ]);
    for (const r of started) if (r.status === 'fulfilled') closers.push(() => r.value.close());
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [consumer, provider, plSs] = started.map((r) => (r as PromiseFulfilledResult<DevnetSecurityServer>).value) as [DevnetSecurityServer, DevnetSecurityServer, DevnetSecurityServer];
    // Each must see the others' registrations before the first exchange.
    await Promise.all([consumer, provider, plSs].map((s) => s.ss.context.conf.refresh()));
    const backend = await configureSampleService(provider, consumer, ports.sampleBackend, options.host);
    closers.push(() => backend.close());
    progress.done(`Security Servers ready: ${consumer.id}, ${provider.id}, ${plSs.id}`);

    progress.step(`starting three Adapter Servers: ${DEVNET_PROVIDER.name}’s (sample data in the embedded database, published to ${provider.member.serverCode}), ${DEVNET_CONSUMER.name}’s and Personal-Link’s`);
    const adapterCommon = { dataDir, databaseUrl: database.url, host: options.host, logger, onProgress: (step: string) => progress.step(`  ${step}`) };
    // One after the other: the embedded database runs one session, and each migrates its own schema.
    const adapter = await startDevnetAdapterServer({ ...adapterCommon, portBase: ports.adapterServer, provider, consumer, personalLinkClient: plSs.subsystem });
    closers.push(() => adapter.close());
    const adapterA = await startDevnetAdapterServer({ ...adapterCommon, portBase: ports.adapterServerA, provider: consumer, schema: 'adapter_server_shopping' });
    closers.push(() => adapterA.close());
    const adapterPl = await startDevnetAdapterServer({ ...adapterCommon, portBase: ports.adapterServerPl, provider: plSs, schema: 'adapter_server_personal_link' });
    closers.push(() => adapterPl.close());
    // Consent reflections from Personal-Link reach the Adapter Server through ss-b, and only from Personal-Link.
    await registerConsentService(provider, adapter.urls.data, plSs.subsystem);
    progress.done(`Adapter Servers ready: Sub System Code ${SAMPLE_SUBSYSTEM_CODE} published as ${provider.subsystem}/${SAMPLE_SUBSYSTEM_CODE}`);
    const entryOf = (a: DevnetAdapterServer) => ({ owner: a.owner, adminUrl: a.urls.admin, dataUrl: a.urls.data, adminApiKeyFile: a.adminApiKeyFile });

    progress.step(`starting Personal-Link (OpenID Provider, dev upstream IDs, consent reflection through ${plSs.member.serverCode})`);
    const personalLink = await startDevnetPersonalLink({
      dataDir,
      databaseUrl: database.url,
      host: options.host,
      portBase: ports.personalLink,
      securityServer: plSs,
      rps: [
        { member: consumer.owner, subsystem: consumer.subsystem, clientId: DEVNET_CONSUMER.subsystem, displayName: { ja: DEVNET_CONSUMER.name, en: 'Sample Shopping Support' }, appBase: `http://${options.host}:${ports.servicerApps}` },
        { member: provider.owner, subsystem: provider.subsystem, clientId: DEVNET_PROVIDER.subsystem, displayName: { ja: DEVNET_PROVIDER.name, en: 'Sample Healthcare' }, appBase: `http://${options.host}:${ports.servicerApps + 1}` },
      ],
      logLevel: options.logLevel,
      logger,
      onProgress: (step) => progress.step(`  ${step}`),
    });
    closers.push(() => personalLink.close());
    progress.done(`Personal-Link ready: ${personalLink.issuer}`);
    const rpFor = (member: string) => personalLink.rps.find((r) => r.member === member)!;
    const rpOf = (member: string) => {
      const rp = rpFor(member);
      return { clientId: rp.clientId, credentialsFile: rp.credentialsFile, redirectUri: rp.redirectUri, consentReturnUri: rp.consentReturnUri };
    };

    progress.step(`starting the servicers’ apps: ${DEVNET_PROVIDER.name} (healthcare, examples/servicer-b), ${DEVNET_CONSUMER.name} (shopping, examples/servicer-a)`);
    const appCommon = { databaseUrl: database.url, host: options.host, issuer: personalLink.issuer, logLevel: options.logLevel, logger };
    const healthcareApp = await startDevnetHealthcareApp({ ...appCommon, port: ports.servicerApps + 1, rp: rpFor(provider.owner), adapter, provider, consumer, onProgress: (step) => progress.step(`  ${step}`) });
    closers.push(() => healthcareApp.close());
    const shoppingApp = await startDevnetShoppingApp({ ...appCommon, port: ports.servicerApps, rp: rpFor(consumer.owner), consumer, provider, providerClientId: rpFor(provider.owner).clientId, providerAppUrl: healthcareApp.url });
    closers.push(() => shoppingApp.close());
    progress.done(`servicers’ apps ready: ${shoppingApp.url} (shopping), ${healthcareApp.url} (healthcare)`);

    const adminKeyFile = center.center.files.adminApiKey;
    const manifest: DevnetManifest = {
      formatVersion: 1,
      instance: options.instance,
      startedAt: new Date().toISOString(),
      dataDir,
      database: { kind: database.kind, url: database.url },
      trust: { anchor: center.center.files.anchor, rootCa: center.center.files.rootCa },
      center: {
        globalConf: center.urls.globalConf,
        ocsp: center.urls.ocsp,
        tsa: center.urls.tsa,
        registration: center.urls.registration,
        admin: center.urls.admin,
        adminApiKeyFile: adminKeyFile,
        openapi: `${center.urls.admin}/openapi.json`,
      },
      securityServers: [consumer, provider, plSs].map((s) => ({
        id: s.id,
        owner: s.owner,
        informationSystemUrl: s.urls.informationSystem,
        informationSystemHttpsUrl: s.urls.informationSystemHttps,
        exchangeAddress: s.urls.exchange,
        ocspUrl: s.urls.ocsp,
        adminUrl: s.urls.admin,
        adminApiKeyFile: s.adminApiKeyFile,
      })),
      adapterServers: [adapter, adapterA, adapterPl].map(entryOf),
      servicers: [
        { member: consumer.owner, subsystem: consumer.subsystem, appUrl: shoppingApp.url, securityServer: consumer.id, adapterServer: entryOf(adapterA), personalLinkClient: rpOf(consumer.owner) },
        { member: provider.owner, subsystem: provider.subsystem, appUrl: healthcareApp.url, securityServer: provider.id, adapterServer: entryOf(adapter), personalLinkClient: rpOf(provider.owner) },
      ],
      personalLink: {
        issuer: personalLink.issuer,
        appUrl: personalLink.appUrl,
        adminUrl: personalLink.adminUrl,
        adminApiKeyFile: personalLink.adminApiKeyFile,
        subsystem: plSs.subsystem,
        securityServer: plSs.id,
        adapterServer: entryOf(adapterPl),
        rpApiService: personalLink.rpApiService,
      },
      upstreamIdps: personalLink.upstreamIdps,
      tryIt: [
        { name: 'Newest global configuration (pointer)', method: 'GET', url: `${center.urls.globalConf}/latest.json`, headers: {} },
        { name: 'Configuration anchor', method: 'GET', url: `${center.urls.globalConf}/anchor.json`, headers: {} },
        { name: 'Members (admin API)', method: 'GET', url: `${center.urls.admin}/api/v1/members`, headers: { Authorization: `Bearer $(cat ${adminKeyFile})` } },
        {
          name: 'Add a member (admin API)',
          method: 'POST',
          url: `${center.urls.admin}/api/v1/members`,
          headers: { Authorization: `Bearer $(cat ${adminKeyFile})`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ memberClass: 'COM', memberCode: '1234567890123', name: 'サンプル株式会社' }),
        },
        { name: 'Global configuration status (admin API)', method: 'GET', url: `${center.urls.admin}/api/v1/global-configuration`, headers: { Authorization: `Bearer $(cat ${adminKeyFile})` } },
        { name: 'Center health', method: 'GET', url: `${center.urls.public}/readyz`, headers: {} },
        {
          name: `PR-REST: the consumer calls the provider’s sample service (${SAMPLE_SERVICE_CODE}) through both Security Servers`,
          method: 'GET',
          url: `${consumer.urls.informationSystem}/r1/${provider.subsystem}/${SAMPLE_SERVICE_CODE}/residents/42`,
          headers: { 'X-Road-Client': consumer.subsystem },
        },
        {
          name: 'PR-REST metaservice: the provider’s services (listMethods)',
          method: 'GET',
          url: `${consumer.urls.informationSystem}/r1/${provider.subsystem}/listMethods`,
          headers: { 'X-Road-Client': consumer.subsystem },
        },
        { name: 'Members and subsystems known to the consumer’s Security Server (listClients)', method: 'GET', url: `${consumer.urls.informationSystem}/listClients`, headers: {} },
        {
          name: `PR-REST: the consumer reads the provider’s health checkups (Adapter Server, Sub System Code ${SAMPLE_SUBSYSTEM_CODE}) through both Security Servers`,
          method: 'GET',
          url: `${consumer.urls.informationSystem}/r1/${provider.subsystem}/${SAMPLE_SUBSYSTEM_CODE}/list?year=eq.2025&order=id.asc`,
          headers: { 'X-Road-Client': consumer.subsystem },
        },
        {
          name: `PR-REST metaservice: the OpenAPI document the Adapter Server generated for ${SAMPLE_SUBSYSTEM_CODE} (getOpenAPI)`,
          method: 'GET',
          url: `${consumer.urls.informationSystem}/r1/${provider.subsystem}/getOpenAPI?serviceCode=${SAMPLE_SUBSYSTEM_CODE}`,
          headers: { 'X-Road-Client': consumer.subsystem },
        },
        {
          name: 'Adapter Server: the calls it served, with the X-Road headers the Security Server passed on (admin API)',
          method: 'GET',
          url: `${adapter.urls.admin}/api/v1/calls?limit=10`,
          headers: { Authorization: `Bearer $(cat ${adapter.adminApiKeyFile})` },
        },
        { name: 'Personal-Link: OpenID Provider discovery', method: 'GET', url: `${personalLink.issuer}/.well-known/openid-configuration`, headers: {} },
        { name: `Personal-Link: an upstream test ID provider's discovery (${personalLink.upstreamIdps[0]!.id})`, method: 'GET', url: `${personalLink.upstreamIdps[0]!.issuer}/.well-known/openid-configuration`, headers: {} },
        {
          name: `Personal-Link: consent reflections (delivered through ${plSs.member.serverCode} to the provider's ${CONSENT_SERVICE_CODE} service; admin API)`,
          method: 'GET',
          url: `${personalLink.adminUrl}/api/v1/reflection`,
          headers: { Authorization: `Bearer $(cat ${personalLink.adminApiKeyFile})` },
        },
        {
          name: 'Adapter Server: consents Personal-Link reflected to it (admin API)',
          method: 'GET',
          url: `${adapter.urls.admin}/api/v1/consents`,
          headers: { Authorization: `Bearer $(cat ${adapter.adminApiKeyFile})` },
        },
      ],
    };
    const manifestPath = join(home, 'devnet.json');
    await writeManifest(manifestPath, manifest);
    closers.unshift(() => removeManifest(manifestPath));
    return { manifest, manifestPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function describeDevnet(devnet: Devnet, seconds: number): string {
  const m = devnet.manifest;
  const lines = [
    '',
    `JP-Link devnet (${m.instance}) is up in ${seconds.toFixed(1)} s.`,
    '',
    'Center',
    `  global configuration  ${m.center.globalConf}/latest.json`,
    `  OCSP                  ${m.center.ocsp}`,
    `  TSA                   ${m.center.tsa}`,
    `  registration (mTLS)   ${m.center.registration}`,
    `  admin API             ${m.center.admin}   (OpenAPI: ${m.center.openapi})`,
    '',
    'Trust',
    `  configuration anchor  ${m.trust.anchor}`,
    `  root CA               ${m.trust.rootCa}`,
    `  admin API key         ${m.center.adminApiKeyFile}`,
    '',
    'Security Servers',
    ...m.securityServers.flatMap((s) => [`  ${s.id}`, `    information systems   ${s.informationSystemUrl}  (PR-REST)`, `    exchange (mTLS)       ${s.exchangeAddress}`, `    configuration API     ${s.adminUrl}`]),
    '',
    'Adapter Servers',
    ...m.adapterServers.flatMap((a) => [`  ${a.owner}`, `    data services         ${a.dataUrl}  (for its Security Server only)`, `    admin API             ${a.adminUrl}   (OpenAPI: ${a.adminUrl}/openapi.json; key: ${a.adminApiKeyFile})`]),
    ...(m.personalLink
      ? [
          '',
          'Personal-Link',
          `  issuer                ${m.personalLink.issuer}   (discovery: ${m.personalLink.issuer}/.well-known/openid-configuration)`,
          `  resident pages        ${m.personalLink.appUrl}/my`,
          `  admin API             ${m.personalLink.adminUrl}   (key: ${m.personalLink.adminApiKeyFile})`,
          `  X-Road subsystem      ${m.personalLink.subsystem} on ${m.personalLink.securityServer}`,
          '  test upstream IDs     ' + (m.upstreamIdps ?? []).map((u) => u.id).join(', ') + `   (users: ${[...new Set((m.upstreamIdps ?? []).flatMap((u) => u.testUsers.map((t) => t.sub)))].join(', ')})`,
          ...m.servicers.filter((s) => s.personalLinkClient).map((s) => `  RP ${s.personalLinkClient!.clientId.padEnd(19)} ${s.personalLinkClient!.credentialsFile}`),
        ]
      : []),
    '',
    'Servicers (open an app in a browser and sign in with Personal-Link)',
    ...m.servicers.flatMap((s) => [
      `  ${s.subsystem ?? s.member}`,
      ...(s.appUrl ? [`    app                   ${s.appUrl}`] : []),
      `    Security Server       ${s.securityServer}`,
      ...(s.adapterServer ? [`    Adapter Server        ${s.adapterServer.adminUrl}  (admin)`] : []),
    ]),
    '  a resident’s journey through them, step by step: docs/journey.md',
    '',
    `Manifest: ${devnet.manifestPath}`,
    `State:    ${m.dataDir} (delete it to start from scratch)`,
    '',
    'Try it:',
    ...m.tryIt.flatMap((call) => [`  # ${call.name}`, `  ${curlCommand(call)}`]),
    '',
    'Ctrl+C stops the network.',
  ];
  return lines.join('\n');
}
