// Benchmark: what batch timestamping and archiving (docs/protocols/evidence.md) cost per exchange,
// next to what the exchange itself costs, measured in CPU time in the same run — the stable
// companion of `security-server-exchange.ts --evidence`, whose throughput ratio moves ±20 % with
// the machine's noise. Everything runs in this one process (a real Center with its TSA, two
// Security Servers, an echo backend and the load) on the local PostgreSQL; CPU is this process
// plus every PostgreSQL process.
//
// Usage: npx tsx scripts/bench/evidence-cost.ts [--exchanges 3000] [--concurrency 16] [--rounds 3]
//   [--profile-archive FILE.cpuprofile]  (a V8 CPU profile of the last round's archiving)
// Prints, per round: CPU per exchange (both Security Servers' logging included), CPU per exchange
// for timestamping and for archiving both logs, and the evidence share. Not a test.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { cpuSecondsBetween, cpuSecondsByCommand } from './ss-bench-common.ts';

const { values } = parseArgs({
  options: { exchanges: { type: 'string', default: '3000' }, concurrency: { type: 'string', default: '16' }, rounds: { type: 'string', default: '3' }, 'profile-archive': { type: 'string' } },
});
const exchanges = Number(values.exchanges);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);

process.env.JPLINK_TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
const { startTestNetwork, CONSUMER_SUBSYSTEM } = await import('../../services/security-server/test/helpers/network.ts');
const { http } = await import('@jplink/testing');

// Timestamping and archiving only when asked (intervals of a day and a week).
const quiet = { SS_TIMESTAMPING_INTERVAL_SECONDS: '86400', SS_ARCHIVE_INTERVAL_SECONDS: '604800', SS_LOG_LEVEL: 'warn' };
const net = await startTestNetwork({ consumerEnv: quiet, providerEnv: quiet });
const servers = [net.consumer.ss, net.provider.ss];

const cpu = () => ({ self: process.cpuUsage(), postgres: cpuSecondsByCommand('postgres') });
/** CPU seconds since `start`: this process and PostgreSQL. */
const since = (start: ReturnType<typeof cpu>) => {
  const self = process.cpuUsage(start.self);
  const node = (self.user + self.system) / 1e6;
  const postgres = cpuSecondsBetween(start.postgres, cpuSecondsByCommand('postgres'));
  return { node, postgres, total: node + postgres };
};

async function load(n: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const response = await http(net.url('vitals', `/bench/${i}`), { method: 'POST', headers: { 'x-road-client': CONSUMER_SUBSYSTEM, 'content-type': 'application/json' }, body: JSON.stringify({ i, pad: 'x'.repeat(1000) }) });
      if (response.status !== 200) throw new Error(`exchange ${i}: HTTP ${response.status} ${response.body.toString().slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  // The test network's echo backend keeps every request it saw (for tests); here that would grow
  // without end and show up in the memory column as if the Security Servers held it.
  net.backend.requests.length = 0;
}

/** Starts V8's sampling profiler in this process; the returned function stops it and gives the profile. */
async function startProfile(): Promise<() => Promise<unknown>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

const ms = (seconds: number) => (seconds * 1000).toFixed(3);
console.log(`machine: Node ${process.version}; ${exchanges} exchanges of 1 KiB per round, ${concurrency} concurrent; CPU = this process + PostgreSQL`);
console.log('| round | exchange CPU/exchange (ms) | timestamping both logs (ms/exchange) | archiving both logs (ms/exchange) | evidence share | while archiving: array buffers before → peak / RSS growth (MB) |');
console.log('|---|---:|---:|---:|---:|---:|');
try {
  // Warm-up: JIT, connections, caches; and a first stamp and archive.
  await load(300);
  for (const ss of servers) await ss.timestamper.stampNow();
  for (const ss of servers) await ss.archiver.archiveNow();
  for (let round = 1; round <= rounds; round++) {
    let start = cpu();
    await load(exchanges);
    const exchange = since(start).total / exchanges;
    start = cpu();
    for (const ss of servers) await ss.timestamper.stampNow();
    const stamping = since(start).total / exchanges;
    const profiling = values['profile-archive'] && round === rounds ? await startProfile() : undefined;
    const before = process.memoryUsage();
    const peak = { arrayBuffers: before.arrayBuffers, rss: before.rss };
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
      peak.rss = Math.max(peak.rss, m.rss);
    }, 10);
    start = cpu();
    for (const ss of servers) {
      const run = await ss.archiver.archiveNow();
      const records = run.files.reduce((n, f) => n + f.records, 0);
      if (records !== exchanges) throw new Error(`archived ${records} records, expected ${exchanges}`);
    }
    const archived = since(start);
    clearInterval(sampler);
    if (profiling) await writeFile(values['profile-archive']!, JSON.stringify(await profiling()));
    const archiving = archived.total / exchanges;
    const share = (stamping + archiving) / exchange;
    console.log(`| ${round} | ${ms(exchange)} | ${ms(stamping)} | ${ms(archiving)} (Node ${ms(archived.node / exchanges)}, PostgreSQL ${ms(archived.postgres / exchanges)}) | ${(share * 100).toFixed(1)} % | ${(before.arrayBuffers / 1e6).toFixed(1)} → ${(peak.arrayBuffers / 1e6).toFixed(1)} / ${((peak.rss - before.rss) / 1e6).toFixed(1)} |`);
  }
} finally {
  await net.stop();
}
