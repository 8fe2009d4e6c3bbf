// The global configuration client against a real Center: download + verify, storage, restart
// from the stored copy with the Center down, expiry, tampering, rollback, and picking up changes.
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GlobalConfiguration } from '@jplink/contracts';
import { signGlobalConf } from '@jplink/globalconf';
import { tempDir } from '@jplink/testing';
import { GlobalConfClient } from '../src/conf/global-conf-client.ts';
import { GlobalConfStore } from '../src/conf/conf-store.ts';
import { XRoadError } from '../src/errors.ts';
import { silentLogger, startTestNetwork, testClock, type TestNetwork } from './trust-fixture.ts';

let net: TestNetwork;

beforeAll(async () => {
  net = await startTestNetwork();
  await net.addMember({ memberClass: 'COM', memberCode: '1234567890123' }, 'Health Care KK', ['app']);
});

afterAll(async () => {
  await net?.stop();
});

const newDataDir = async () => (await tempDir('jplink-ss-conf-')).dir;

function expectXRoad(fn: () => unknown, type: string) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(XRoadError);
    expect((error as XRoadError).type).toBe(type);
    return;
  }
  throw new Error(`expected XRoadError ${type}`);
}

describe('GlobalConfClient', () => {
  it('downloads, verifies and stores the configuration, and indexes it', async () => {
    const dataDir = await newDataDir();
    const client = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger });
    expectXRoad(() => client.current('client'), 'server.clientproxy.outdated_globalconf');
    expectXRoad(() => client.current('server'), 'server.serverproxy.outdated_globalconf');
    expect(client.status()).toMatchObject({ instance: 'JP-TEST', version: null, outdated: true });

    const first = await client.refresh();
    expect(first.changed).toBe(true);
    const view = client.current('server');
    expect(view.instance).toBe('JP-TEST');
    expect(view.version).toBe(first.version);
    expect(view.memberExists('JP-TEST/COM/1234567890123')).toBe(true);
    expect(view.subsystemExists('JP-TEST/COM/1234567890123/app')).toBe(true);
    expect(view.subsystemExists('JP-TEST/COM/1234567890123/other')).toBe(false);
    expect(view.approvedCaRoots()).toHaveLength(1);
    expect(Buffer.from(view.approvedCaRoots()[0]!).equals(Buffer.from(net.t.center.ca.root.certificate))).toBe(true);
    expect(view.approvedCaIntermediates()).toHaveLength(1);
    expect(view.settings.configurationRefreshSeconds).toBeGreaterThan(0);
    expect(view.tsas.length).toBeGreaterThan(0);

    const stored = await readdir(join(dataDir, 'globalconf'));
    expect(stored.sort()).toEqual([`conf-${first.version}.json`, `conf-${first.version}.json.p7s`, 'current.json'].sort());
    expect(client.status()).toMatchObject({ version: first.version, outdated: false, lastError: null });
    expect(client.status().lastSuccessAt).not.toBeNull();

    // A re-download of the same version changes nothing (the Center may have published a newer one meanwhile).
    const again = await client.refresh();
    expect(again.changed).toBe(again.version !== first.version);
  });

  it('picks up a change made at the Center and tells its listeners', async () => {
    const client = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir: await newDataDir(), logger: silentLogger });
    await client.refresh();
    const before = client.current('client');
    expect(before.memberExists('JP-TEST/GOV/0000000000042')).toBe(false);
    const seen: number[] = [];
    const unsubscribe = client.onChange((view, previous) => {
      expect(previous?.version).toBeLessThan(view.version);
      seen.push(view.version);
    });

    await net.addMember({ memberClass: 'GOV', memberCode: '0000000000042' }, 'Example City', ['residents']);
    const result = await client.refresh();
    expect(result.changed).toBe(true);
    const after = client.current('client');
    expect(after.version).toBeGreaterThan(before.version);
    expect(after.memberExists('JP-TEST/GOV/0000000000042')).toBe(true);
    expect(after.subsystemExists('JP-TEST/GOV/0000000000042/residents')).toBe(true);
    expect(seen).toEqual([after.version]);
    unsubscribe();
  });

  it('reports the configuration as outdated once it expires (injected clock)', async () => {
    const clock = testClock();
    const client = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir: await newDataDir(), logger: silentLogger, now: clock.now });
    await client.refresh();
    const view = client.current('client');
    clock.advance((view.expiresAt.getTime() - Date.now()) / 1000 + 1);
    expectXRoad(() => client.current('client'), 'server.clientproxy.outdated_globalconf');
    expectXRoad(() => client.current('server'), 'server.serverproxy.outdated_globalconf');
    expect(client.status()).toMatchObject({ outdated: true, version: view.version });
    // A download at that time is refused as expired too, and the error is reported.
    await expect(client.refresh()).rejects.toMatchObject({ code: 'GCONF_EXPIRED' });
    expect(client.status().lastError).toMatch(/GCONF_EXPIRED/);
  });

  it('keeps an expired stored copy on load but refuses to use it', async () => {
    const dataDir = await newDataDir();
    await (await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger })).refresh();
    const clock = testClock();
    clock.advance(3 * 86_400);
    const reopened = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger, now: clock.now });
    expect(reopened.latest()?.version).toBeGreaterThan(0);
    expectXRoad(() => reopened.current('server'), 'server.serverproxy.outdated_globalconf');
    expect(reopened.status().outdated).toBe(true);
  });

  it('refuses a tampered stored copy on load', async () => {
    const dataDir = await newDataDir();
    const { version } = await (await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger })).refresh();
    const documentPath = join(dataDir, 'globalconf', `conf-${version}.json`);
    const document = await readFile(documentPath, 'utf8');
    expect(document).toContain('Health Care KK');
    await writeFile(documentPath, document.replace('Health Care KK', 'Wealth Care KK'));

    const reopened = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger });
    expect(reopened.latest()).toBeUndefined();
    expectXRoad(() => reopened.current('client'), 'server.clientproxy.outdated_globalconf');
    expect(reopened.status().lastError).toMatch(/stored configuration refused: GCONF_SIGNATURE_INVALID/);
    // A download replaces it.
    await reopened.refresh();
    expect(reopened.current('client').version).toBeGreaterThanOrEqual(version);
  });

  it('refuses to roll back to an older version than the stored one', async () => {
    const dataDir = await newDataDir();
    const client = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger });
    await client.refresh();
    // A genuinely signed copy with a far higher version (as if the Center's database had been restored from an old backup).
    const conf = client.current('server').conf;
    const future: GlobalConfiguration = { ...conf, version: conf.version + 100_000 };
    const signer = net.t.center.ca['config-signing'];
    const signed = await signGlobalConf(future, { certificate: signer.certificate, privateKey: signer.privateKey });
    await new GlobalConfStore(dataDir).write({ version: future.version, ...signed });

    const reopened = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger });
    expect(reopened.current('server').version).toBe(future.version);
    await expect(reopened.refresh()).rejects.toMatchObject({ code: 'GCONF_VERSION_ROLLBACK' });
    expect(reopened.current('server').version).toBe(future.version);
    expect(reopened.status().lastError).toMatch(/GCONF_VERSION_ROLLBACK/);
  });

  it('start() refreshes at once and stop() ends the timer', async () => {
    const client = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir: await newDataDir(), logger: silentLogger });
    const changed = new Promise<number>((resolve) => client.onChange((view) => resolve(view.version)));
    client.start();
    expect(await changed).toBeGreaterThan(0);
    await client.stop();
    expect(client.current('client').version).toBeGreaterThan(0);
  });

  // Last: stops the Center.
  it('starts from the stored copy with the Center down, and keeps it when downloads fail', async () => {
    const dataDir = await newDataDir();
    const { version } = await (await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir, logger: silentLogger })).refresh();
    const copy = await newDataDir();
    await cp(dataDir, copy, { recursive: true });
    await net.stop();

    const reopened = await GlobalConfClient.open({ anchorPath: net.anchorPath, dataDir: copy, logger: silentLogger, fetchTimeoutMs: 2_000 });
    expect(reopened.current('server').version).toBe(version);
    expect(reopened.current('client').memberExists('JP-TEST/COM/1234567890123')).toBe(true);
    await expect(reopened.refresh()).rejects.toMatchObject({ code: 'GCONF_DOWNLOAD_FAILED' });
    expect(reopened.current('server').version).toBe(version);
    expect(reopened.status()).toMatchObject({ version, outdated: false });
    expect(reopened.status().lastError).toMatch(/GCONF_DOWNLOAD_FAILED/);

    // The timer keeps going after failures instead of crashing.
    const warn = vi.spyOn(silentLogger, 'warn');
    reopened.start();
    await vi.waitFor(() => expect(warn).toHaveBeenCalled(), { timeout: 5_000 });
    await reopened.stop();
    warn.mockRestore();
  });
});
