// `kill -9` of a Security Server under load, then a restart: every exchange whose client received a
// response is in the log, the hash chain and every signature verify, and timestamping catches up.
// The client-side server runs as a real child process (the production entry point, server.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '@jplink/db/testing';
import { freePort, http } from '@jplink/testing';
import { CONSUMER, CONSUMER_SUBSYSTEM, startTestNetwork, type TestNetwork } from './helpers/network.ts';
import { securityServerMigrations } from '../src/db/migrations.ts';
import type { SecurityServerTables } from '../src/db/schema.ts';
import { upsertClient } from '../src/db/server-conf.ts';
import { checkMessageLog } from '../src/messagelog/check.ts';

const SERVER_ENTRY = join(import.meta.dirname, '../src/server.ts');

let net: TestNetwork;
let database: TestDatabase<SecurityServerTables>;
let dataDir: string;
let env: Record<string, string>;
let child: ChildProcess | undefined;

async function startChild(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', SERVER_ENTRY], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the Security Server exited with ${proc.exitCode}: ${stderr}`);
    const ready = await http(`http://127.0.0.1:${env.SS_ADMIN_PORT}/readyz`).catch(() => undefined);
    if (ready?.status === 200) return proc;
    if (Date.now() > end) throw new Error(`the Security Server did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  net = await startTestNetwork();
  database = await createTestDatabase<SecurityServerTables>('ssk', securityServerMigrations);
  await upsertClient(database.db, { subsystem: CONSUMER_SUBSYSTEM });
  dataDir = await mkdtemp(join(tmpdir(), 'jplink-ss-kill-'));
  await writeFile(join(dataDir, 'passphrase'), 'kill-test-passphrase-0123456789\n', { mode: 0o600 });
  env = {
    JPLINK_MODE: 'development',
    SS_ID: `JP-TEST/${CONSUMER.memberClass}/${CONSUMER.memberCode}/ss-k`,
    SS_DATA_DIR: dataDir,
    SS_DATABASE_URL: testDatabaseUrl(),
    SS_DATABASE_SCHEMA: database.schema,
    SS_ANCHOR_FILE: net.center.center.files.anchor,
    SS_KEY_PASSPHRASE_FILE: join(dataDir, 'passphrase'),
    SS_PUBLIC_ADDRESS: '127.0.0.1',
    SS_HOST: '127.0.0.1',
    SS_IS_HTTP_PORT: String(await freePort()),
    SS_IS_HTTPS_PORT: String(await freePort()),
    SS_EXCHANGE_PORT: String(await freePort()),
    SS_OCSP_PORT: String(await freePort()),
    SS_ADMIN_PORT: String(await freePort()),
    SS_TIMESTAMPING_INTERVAL_SECONDS: '1',
    SS_LOG_LEVEL: 'warn',
  };
  child = await startChild();
  // The provider's server must see the new server and its client registration.
  await net.provider.ss.context.conf.refresh();
}, 120_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await net?.stop();
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('kill -9 under load loses no answered exchange; the chain verifies and timestamping catches up after the restart', async () => {
  const url = (i: number) => `http://127.0.0.1:${env.SS_IS_HTTP_PORT}/r1/JP-TEST/COM/2222222222222/healthcare/vitals/k/${i}`;
  const answered: string[] = [];
  let failures = 0;
  let n = 0;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const i = n++;
      const response = await http(url(i), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, body: `{"i":${i}}` }).catch(() => undefined);
      if (response?.status === 200) answered.push(response.headers['x-road-request-id'] as string);
      else failures += 1;
    }
  };
  const workers = Array.from({ length: 8 }, worker);
  await new Promise((r) => setTimeout(r, 1_500));
  const exited = new Promise((resolve) => child!.once('exit', resolve));
  child!.kill('SIGKILL');
  await exited;
  await new Promise((r) => setTimeout(r, 300));
  stop = true;
  await Promise.all(workers);
  expect(answered.length, 'exchanges answered before the kill').toBeGreaterThan(20);
  expect(failures, 'requests cut by the kill').toBeGreaterThan(0);

  child = await startChild();
  const db = database.db;
  const logged = new Set((await db.selectFrom('log_records').select('message_id').execute()).map((r) => r.message_id));
  expect(answered.filter((id) => !logged.has(id))).toEqual([]);
  const check = await checkMessageLog(db);
  expect(check.problems).toEqual([]);
  expect(check.records).toBeGreaterThanOrEqual(answered.length);

  // The restarted server keeps exchanging and timestamps every record, including those from before the kill.
  const after = await http(url(-1), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM }, body: '{}' });
  expect(after.status).toBe(200);
  const end = Date.now() + 20_000;
  for (;;) {
    const last = await db.selectFrom('log_records').select('id').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    const covered = await db.selectFrom('log_timestamps').select('last_record_id').orderBy('last_record_id', 'desc').limit(1).executeTakeFirst();
    if (covered && BigInt(covered.last_record_id) >= BigInt(last.id)) break;
    if (Date.now() > end) throw new Error('timestamping did not catch up');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);
