// Shared set-up of the tests that go through real Security Servers: a Center and three Security
// Servers — Personal-Link's own (its own member), RP A's and RP B's (the provider) — and RP B's
// Adapter Server over a real PostgreSQL table of residents, with the Sub System Code `health` and
// the `consents` service granted to Personal-Link's subsystem (docs/protocols/consent-reflection.md).
import { expect } from 'vitest';
import { http } from '@jplink/testing';
import { PROVIDER_SUBSYSTEM, TEST_INSTANCE, adminClient, startSecurityServer, startTestNetwork, type RunningSs, type TestMember, type TestNetwork } from '@jplink/security-server/testing';
import { createPostgresSample, startTestAdapter, type RunningAdapter, type SampleTarget } from '@jplink/adapter-server/testing';

export const PL_MEMBER: TestMember = { memberClass: 'GOV', memberCode: '9999999999999', name: 'パーソナルリンク運営機構', subsystem: 'personal-link', server: 'ss-pl' };
export const PL_SUBSYSTEM = `${TEST_INSTANCE}/${PL_MEMBER.memberClass}/${PL_MEMBER.memberCode}/${PL_MEMBER.subsystem}`;
/** RP B's Sub System Code (its data service category). */
export const CODE = 'health';
export const servicesOf = (subsystem: string) => `/api/v1/clients/${subsystem.replaceAll('/', ':')}/services`;

export interface PlNetwork {
  net: TestNetwork;
  plSs: RunningSs;
  sample: SampleTarget;
  adapter: RunningAdapter;
  stop(): Promise<void>;
}

export async function startPlNetwork(): Promise<PlNetwork> {
  const net = await startTestNetwork();
  // Personal-Link is its own member with its own Security Server.
  const centerAdmin = { authorization: `Bearer ${net.center.adminKey}` };
  expect((await http(`${net.center.urls.admin}/api/v1/members`, { headers: centerAdmin, json: { memberClass: PL_MEMBER.memberClass, memberCode: PL_MEMBER.memberCode, name: PL_MEMBER.name } })).status).toBeLessThan(300);
  expect((await http(`${net.center.urls.admin}/api/v1/members/${PL_MEMBER.memberClass}/${PL_MEMBER.memberCode}/subsystems`, { headers: centerAdmin, json: { subsystemCode: PL_MEMBER.subsystem } })).status).toBe(201);
  const plSs = await startSecurityServer(net.center, PL_MEMBER);
  await Promise.all([net.consumer, net.provider, plSs].map((s) => s.ss.context.conf.refresh()));

  // RP B: an Adapter Server behind its Security Server, over a PostgreSQL table of residents.
  const sample = await createPostgresSample();
  const adapter = await startTestAdapter({
    ADAPTER_SS_ADMIN_URL: net.provider.adminUrl,
    ADAPTER_SS_ADMIN_KEY_FILE: net.provider.ss.files.adminApiKey,
    ADAPTER_PROVIDER_SUBSYSTEM: PROVIDER_SUBSYSTEM,
    ADAPTER_PERSONAL_LINK_CLIENT: PL_SUBSYSTEM,
  });
  expect((await adapter.admin('POST', '/api/v1/connections', sample.connection)).status).toBe(201);
  expect((await adapter.admin('POST', '/api/v1/subsystems', { code: CODE, title: '健康' })).status).toBe(201);
  // The consent service on RP B's Security Server, granted to Personal-Link's subsystem only.
  const ssB = await adminClient(net.provider);
  expect((await ssB('POST', servicesOf(PROVIDER_SUBSYSTEM), { serviceCode: 'consents', url: `${adapter.dataUrl}/_personal-link/consents`, timeoutSeconds: 10 })).status).toBe(200);
  expect((await ssB('POST', `${servicesOf(PROVIDER_SUBSYSTEM)}/consents/access-rights/grant`, { subject: { kind: 'subsystem', id: PL_SUBSYSTEM } })).status).toBe(200);
  let stopped = false;
  return {
    net,
    plSs,
    sample,
    adapter,
    async stop() {
      if (stopped) return;
      stopped = true;
      await adapter.stop().catch(() => {}); // a test may have stopped it already
      await sample.drop();
      await plSs.drop();
      await net.stop();
    },
  };
}

/** The residents table's columns as an Adapter Server service definition sees them. */
export const residentColumns = ['id', 'user_id', 'name', 'email', 'city'].map((name) => ({ name, type: name === 'id' ? 'integer' : 'string' }));
