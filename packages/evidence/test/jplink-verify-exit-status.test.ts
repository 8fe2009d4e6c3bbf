// `jplink verify` as a user runs it (a child process of packages/cli/bin/jplink.mjs): exit status 0
// and an OK summary for an intact chain, 1 and one line per problem for a tampered one, 2 for bad
// usage; --json prints the report. (Each start compiles the CLI through tsx: a few seconds.)
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@jplink/testing';
import type { Report } from '../src/index.ts';
import { archiveContents, buildLog, createPki, writeArchives, type LogFixture } from './support/fixture.ts';

const bin = new URL('../../cli/bin/jplink.mjs', import.meta.url).pathname;

function jplink(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let log: LogFixture;
let rootPem: string;

beforeAll(async () => {
  log = await buildLog(await createPki());
  rootPem = log.pki.rootPem;
});

describe('jplink verify', () => {
  it('exits 0 for an intact chain and 1, naming the problem, for a tampered one', async () => {
    const dir = await tempDir('jplink-verify-cli-');
    const root = await dir.file('root.pem', rootPem);
    const intact = await writeArchives(await tempDir('jplink-verify-cli-').then((d) => d.dir), archiveContents(log));
    const ok = await jplink(['verify', '--root', root, ...intact]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK: 0 problems, 0 warnings; 3 files, 9 records, 18 signatures and 5 timestamps verified\n$/);

    const contents = archiveContents(log);
    const record = contents[2]!.records[0]!;
    const body = Buffer.from(record.request.body!, 'base64');
    body[0] ^= 0x20;
    record.request.body = body.toString('base64');
    const tampered = await writeArchives(dir.dir, contents);
    const bad = await jplink(['verify', '--root', root, ...tampered]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain(`${tampered[2]}: record ${record.id}: body-mismatch: the request body does not match its bodySha256\n`);
    expect(bad.stdout).toMatch(/FAILED: 1 problem, 0 warnings;/);

    const json = await jplink(['verify', '--json', '--root', root, tampered[2]!]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'body-mismatch', recordId: record.id })]);
  }, 120_000);

  it('exits 2 for bad usage', async () => {
    const dir = await tempDir('jplink-verify-cli-');
    const noRoot = await jplink(['verify', 'some.zip']);
    expect(noRoot.code).toBe(2);
    expect(noRoot.stderr).toContain('--root <root-ca.pem> is required');
    const notPem = await jplink(['verify', '--root', await dir.file('root.pem', 'not a certificate'), 'some.zip']);
    expect(notPem.code).toBe(2);
    expect(notPem.stderr).toContain('no PEM CERTIFICATE block');
  }, 120_000);
});
