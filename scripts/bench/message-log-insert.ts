// Benchmark: what one message-log record costs to insert (LogStore, format v2), in CPU of this
// process and of ITS OWN PostgreSQL sessions only (by backend pid, so other work on a shared
// machine does not count) — named prepared statements against unnamed ones, alternating.
//
// Usage: npx tsx scripts/bench/message-log-insert.ts [--records 6000] [--batch 4] [--concurrency 4] [--rounds 3]
//   [--database-url postgres://…]
// Records like the exchange benchmark's at 1 KiB: request and response, each a 0.6 KiB header,
// a 1 KiB body and a 0.35 KiB stored envelope. Not a test.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { migrate, openDatabase } from '@jplink/db';
import { securityServerMigrations } from '../../services/security-server/src/db/migrations.ts';
import { LogStore, type LogRow } from '../../services/security-server/src/db/message-log.ts';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '6000' },
    batch: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    'database-url': { type: 'string', default: process.env.JPLINK_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});
const records = Number(values.records);
const batch = Number(values.batch);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);

const schema = `bench_log_${randomBytes(4).toString('hex')}`;
const database = await openDatabase({ url: values['database-url'], schema, poolMax: concurrency + 1 });
await migrate(database, securityServerMigrations);

const message = () => ({ header: randomBytes(600), body: Buffer.from(randomBytes(768).toString('base64')), bodySha256: randomBytes(32), bodyLength: 1024, signature: randomBytes(350) });
function row(i: number): LogRow {
  return {
    side: 'server', messageId: randomUUID(), xRoadId: `x-${i}`, client: 'JP-BENCH/COM/1111111111111/client',
    service: 'JP-BENCH/COM/2222222222222/provider/echo', peerServer: 'JP-BENCH/COM/1111111111111/ss-a',
    request: message(), response: message(), prevHash: randomBytes(32), recordHash: randomBytes(32),
  };
}

/** CPU seconds (user + system) of a process from /proc. */
function cpuOfPid(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function run(prepare: boolean) {
  const store = new LogStore(database, { prepare });
  const rows = Array.from({ length: records }, (_, i) => row(i));
  // Open every pooled session first, and learn its backend pid.
  const clients = await Promise.all(Array.from({ length: concurrency + 1 }, () => database.pool.connect()));
  const pids = await Promise.all(clients.map(async (c) => Number((await c.query('select pg_backend_pid() as pid')).rows[0].pid)));
  for (const c of clients) c.release();
  const pgBefore = pids.reduce((n, p) => n + cpuOfPid(p), 0);
  const before = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < rows.length) {
      const chunk = rows.slice(next, next + batch);
      next += batch;
      await store.insertRecords(chunk);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const node = process.cpuUsage(before);
  const pg = pids.reduce((n, p) => n + cpuOfPid(p), 0) - pgBefore;
  return { nodeUs: ((node.user + node.system) / records), pgUs: (pg * 1e6) / records, perSecond: records / elapsed };
}

console.log(`message-log insert: ${records} records per run, batches of ${batch}, ${concurrency} in flight; CPU per record (µs)`);
console.log('| round | statement | node µs | PostgreSQL µs (own sessions) | records/s |');
console.log('|---|---|---:|---:|---:|');
await run(true); // warm-up (first plans, TOAST, caches)
for (let r = 1; r <= rounds; r += 1) {
  for (const prepare of [false, true]) {
    const m = await run(prepare);
    console.log(`| ${r} | ${prepare ? 'prepared' : 'unnamed'} | ${m.nodeUs.toFixed(0)} | ${m.pgUs.toFixed(0)} | ${Math.round(m.perSecond).toLocaleString('en-US')} |`);
  }
}
await database.pool.query(`drop schema "${schema}" cascade`);
await database.close();
