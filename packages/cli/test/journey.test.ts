// The resident's journey end to end, as a newcomer would do it (docs/journey.md), on the whole
// network `jplink devnet` starts as a real child process: in Chromium on a phone, in Japanese, a
// resident signs in to servicer A through Personal-Link with a local upstream ID, signs in to
// servicer B too (links both), A asks for consent to B's vitals, the resident approves at
// Personal-Link, A shows the vitals fetched from B through two Security Servers, the resident
// withdraws, and A's next fetch is refused with a clear message. Then the evidence of the
// successful exchange, taken from both Security Servers with `jplink ss evidence`, passes
// `jplink verify` with the network's root CA alone. After a restart the resident is still known
// and the withdrawal still holds. Screenshots: .test-results/journey/.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { devnetManifestSchema, type DevnetManifest } from '@jplink/contracts';
import { launchBrowser, type Browser } from '@jplink/testing';
import { devnetPortBase, processAlive, runJplink, startDevnetProcess, stopAllDevnets, stopDevnetProcess } from './devnet-process.ts';
import { revisitShopping, runJourney } from './journey-steps.ts';

const home = await mkdtemp(join(tmpdir(), 'jplink-journey-'));
const shots = new URL('../../../.test-results/journey/', import.meta.url).pathname;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await stopAllDevnets();
  await rm(home, { recursive: true, force: true });
});

type Call = { at: string; subsystemCode: string; service: string; xRoadClient: string | null; xRoadRequestId: string | null; status: number; errorCode: string | null; rows: number | null };

/** The calls B's Adapter Server served for `vitals`, newest first (its call log, admin API). */
async function vitalsCalls(manifest: DevnetManifest): Promise<Call[]> {
  const adapter = manifest.servicers[1]!.adapterServer!;
  const key = (await readFile(adapter.adminApiKeyFile, 'utf8')).trim();
  const calls = (await (await fetch(`${adapter.adminUrl}/api/v1/calls?limit=1000`, { headers: { authorization: `Bearer ${key}` } })).json()) as Call[];
  return calls.filter((c) => c.subsystemCode === 'vitals').sort((x, y) => y.at.localeCompare(x.at));
}

/** `jplink ss evidence` from one Security Server, then `jplink verify` on it; retried until the record is timestamped. */
async function evidenceVerifies(manifest: DevnetManifest, securityServerId: string, requestId: string, dir: string) {
  const ss = manifest.securityServers.find((s) => s.id === securityServerId)!;
  for (let attempt = 0; ; attempt++) {
    const out = join(dir, `${ss.id.split('/').pop()}-${attempt}.zip`);
    const fetched = await runJplink(['ss', 'evidence', '--message-id', requestId, '--out', out, '--api', ss.adminUrl, '--key-file', ss.adminApiKeyFile]);
    expect(fetched.code, fetched.stderr).toBe(0);
    const verified = await runJplink(['verify', '--root', manifest.trust.rootCa, '--json', out]);
    expect(verified.code, `${verified.stdout}${verified.stderr}`).toBe(0);
    const report = JSON.parse(verified.stdout) as { problems: unknown[]; warnings: unknown[] };
    expect(report.problems).toEqual([]);
    if (report.warnings.length === 0) return; // timestamped (devnet stamps every few seconds)
    expect(attempt, `the record on ${ss.id} gets a timestamp within 30 s: ${JSON.stringify(report.warnings)}`).toBeLessThan(60);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('the resident journey on the devnet', () => {
  it('signs in to A and B, consents, sees B’s vitals at A, withdraws, is refused; the exchange’s evidence verifies; a restart keeps the resident and the withdrawal', async () => {
    const running = await startDevnetProcess({ home, portBase: devnetPortBase() });
    console.info(`[journey test] devnet up in ${running.seconds} s`);
    const manifest = devnetManifestSchema.parse(JSON.parse(await readFile(join(home, 'devnet.json'), 'utf8')));
    await mkdir(shots, { recursive: true });
    browser = await launchBrowser();

    const journey = await runJourney(manifest, browser, shots);
    // A and B each gave the resident their own number (ID conversion at each servicer).
    expect(journey.shopUserId).toBe('S-000001');
    expect(journey.healthUserId).toBe('H-000001');
    // A showed B's vitals: B's fictional sample is the last 14 days.
    expect(journey.vitalsRows).toBe(14);
    // After the withdrawal A says so, in Japanese.
    expect(journey.refusal.reason).toBe('consent-required');
    expect(journey.refusal.text).toContain('同意が取り消された');

    // B's Adapter Server served A once with rows, then refused the next call for want of a consent.
    // The Adapter Server writes its call log in batches (every 200 ms): wait for the refusal's row.
    let calls = await vitalsCalls(manifest);
    for (let i = 0; i < 100 && calls[0]?.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      calls = await vitalsCalls(manifest);
    }
    const served = calls.filter((c) => c.status === 200);
    expect(served).toHaveLength(1);
    expect(served[0]).toMatchObject({ xRoadClient: manifest.servicers[0]!.subsystem, rows: 14 });
    expect(calls[0]).toMatchObject({ status: 403, errorCode: 'ADAPTER_PERSONAL_NO_CONSENT', xRoadClient: manifest.servicers[0]!.subsystem });

    // The evidence of the successful exchange on both Security Servers passes the log check.
    const evidenceDir = join(home, 'evidence');
    await mkdir(evidenceDir, { recursive: true });
    for (const ss of [manifest.servicers[0]!.securityServer, manifest.servicers[1]!.securityServer]) {
      await evidenceVerifies(manifest, ss, served[0]!.xRoadRequestId!, evidenceDir);
    }

    expect(await stopDevnetProcess(running)).toBe(0);
    expect(processAlive(running.child.pid!)).toBe(false);

    // A restart keeps the resident and the consent history: the same member number at A, and A
    // still knows the consent was withdrawn (it offers to ask again instead of showing data).
    const again = await startDevnetProcess({ home, portBase: running.portBase });
    console.info(`[journey test] restart: up in ${again.seconds} s`);
    const revisit = await revisitShopping(manifest, browser, shots);
    expect(revisit.shopUserId).toBe(journey.shopUserId);
    expect(revisit.text).toContain('同意が取り消された');
    expect(revisit.askAgain).toBe(1);
    expect((await vitalsCalls(manifest)).filter((c) => c.status === 200)).toHaveLength(1);
    expect(await stopDevnetProcess(again)).toBe(0);
    expect(processAlive(again.child.pid!)).toBe(false);
  }, 900_000);
});
