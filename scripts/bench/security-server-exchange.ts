// Benchmark: requests/s and p50/p99 latency through two Security Servers (information system →
// client SS → mutual TLS → provider SS → echo backend), with signing and message logging on, and
// IN THE SAME RUN through a plain two-hop HTTP proxy chain doing the same forwarding without any
// security, with the same load shape; prints the ratio, each Security Server's peak memory, the
// batching of signatures and message-log writes, and where the CPU went.
//
// Usage (from the repository root):
//   npx tsx scripts/bench/security-server-exchange.ts [--seconds 10] [--warmup 10] [--connections 16]
//       [--sizes 1024,102400] [--rounds 1] [--cpu-prof [--profile-dir DIR]] [--trace] [--evidence] [--database-url postgres://…]
// --evidence: the message log is timestamped every second and archived every 2 s during the run
// --evidence-compare: each round measures the plain chain, the SS chain, and the same SS chain with
//   timestamping every second and archiving every 2 s (issue 4: the ratio may drop by at most 10 %);
//   use with --rounds N (alternating rounds put the machine's slow and fast phases on both sides)
//   (without it both are effectively off: intervals of a day and a week); compare the two ratios.
//   --timestamp-interval S / --archive-interval S set either interval alone.
// --cpu-prof: V8 CPU profiles of both SSs, scoped to each SS run, summarised at the end (lowers throughput).
// --ss-node-args "…": Node flags for the two Security Server processes only (e.g. V8 heap sizes).
// --body random|json: random letters and digits (default; incompressible) or a JSON array of records.
// --log-commit-delay-ms N: SS_LOG_COMMIT_DELAY_MS of both servers (0 = no commit delay; default: the server's).
// --trace: time each stage inside the SSs (log append, signing, peer send, backend, verification).
// The 10 s warm-up is for V8: with 2 s, a fifth of each Security Server's CPU in the measured
// window was still TurboFan compiling its hot code (perf, docs/performance.md, 2026-12-07 night).
//
// Every part runs in its own process, all sharing the machine's cores (as in
// /work/shared/design/performance.md): the Center (idle during the load), the echo backend, the
// two Security Servers, the two plain proxies, and the load generator. PostgreSQL must be a real
// server (default postgres://postgres@127.0.0.1:5432/postgres); the embedded PGlite serialises
// all connections and would make the message log the bottleneck, so it is refused.
// Not a test: it prints tables; docs/performance.md keeps the results.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { openDatabase, probeDatabase } from '@jplink/db';
import {
  cpuSecondsOf,
  cpuSecondsBetween,
  cpuSecondsByCommand,
  machineCpuSeconds,
  memoryOf,
  runningChildren,
  spawnChild,
  stopChild,
  tail,
  type BenchChild,
} from './ss-bench-common.ts';
import { formatSummary, summariseProfile } from './ss-bench-profile.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    sizes: { type: 'string', default: '1024,102400' },
    rounds: { type: 'string', default: '1' },
    'cpu-prof': { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    'database-url': { type: 'string', default: process.env.JPLINK_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'verify-every': { type: 'string', default: '50' },
    'keep-temp': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    evidence: { type: 'boolean', default: false },
    'evidence-compare': { type: 'boolean', default: false },
    'ss-node-args': { type: 'string' },
    'timestamp-interval': { type: 'string' },
    'archive-interval': { type: 'string' },
    'log-commit-delay-ms': { type: 'string' },
    body: { type: 'string', default: 'random' },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
const rounds = Number(values.rounds);
const sizes = values.sizes.split(',').map((s) => Number(s.trim()));
const verifyEvery = Number(values['verify-every']);
const databaseUrl = values['database-url'];
for (const [name, n] of Object.entries({ seconds, warmup, connections, rounds, verifyEvery })) {
  if (!Number.isFinite(n) || n < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} must be a positive number`);
}
if (values.body !== 'random' && values.body !== 'json') throw new Error('--body: random or json');
const compareEvidence = values['evidence-compare'];
if (compareEvidence && (values.evidence || values['timestamp-interval'] || values['archive-interval'])) throw new Error('--evidence-compare sets the evidence intervals itself (1 s and 2 s); leave out --evidence and the interval options');
if (sizes.some((s) => !Number.isInteger(s) || s < 16 || s > 8 * 1024 * 1024)) throw new Error('--sizes: byte counts between 16 and 8388608, comma-separated');

const INSTANCE = 'JP-BENCH';
const CONSUMER = { memberClass: 'COM', memberCode: '1111111111111', name: 'ベンチ利用者株式会社', subsystem: 'client', server: 'ss-a' };
const PROVIDER = { memberClass: 'COM', memberCode: '2222222222222', name: 'ベンチ提供者株式会社', subsystem: 'provider', server: 'ss-b' };
const CONSUMER_SUBSYSTEM = `${INSTANCE}/${CONSUMER.memberClass}/${CONSUMER.memberCode}/${CONSUMER.subsystem}`;
const PROVIDER_SUBSYSTEM = `${INSTANCE}/${PROVIDER.memberClass}/${PROVIDER.memberCode}/${PROVIDER.subsystem}`;
const CONSUMER_SERVER = `${INSTANCE}/${CONSUMER.memberClass}/${CONSUMER.memberCode}/${CONSUMER.server}`;
const PROVIDER_SERVER = `${INSTANCE}/${PROVIDER.memberClass}/${PROVIDER.memberCode}/${PROVIDER.server}`;
const SERVICE = 'echo';
/** The same request path on both chains: PR-REST on the SS chain, forwarded as is by the plain proxies. */
const PATH = `/r1/${PROVIDER_SUBSYSTEM}/${SERVICE}/bench`;
const HEADERS = { 'x-road-client': CONSUMER_SUBSYSTEM };

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const schemaPrefix = `ssbench_${runId}_`;
const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);

// ------------------------------------------------------------------ cleanup (also on error / Ctrl-C)
let tempRoot: string | undefined;
let cleaning: Promise<void> | undefined;
let interrupted = false;
let schemasCreated = false;
/** A problem of the environment, reported without a stack trace. */
class SetupError extends Error {}
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all(runningChildren().map((child) => stopChild(child)));
    // The children drop their own schemas on a clean stop; this catches what a killed one left.
    if (schemasCreated) {
      try {
        const admin = await openDatabase({ url: databaseUrl, schema: 'public', poolMax: 1 });
        const { rows } = await admin.pool.query<{ nspname: string }>('select nspname from pg_namespace where position($1 in nspname) = 1', [schemaPrefix]);
        for (const row of rows) await admin.pool.query(`drop schema if exists "${row.nspname}" cascade`);
        await admin.close();
      } catch (error) {
        log(`could not drop the schemas ${schemaPrefix}*: ${(error as Error).message}`);
      }
    }
    if (tempRoot && !values['keep-temp']) await rm(tempRoot, { recursive: true, force: true });
  })();
  return cleaning;
}
process.on('SIGINT', () => {
  interrupted = true;
  log('interrupted; cleaning up');
  void cleanup().finally(() => process.exit(130));
});
process.on('SIGTERM', () => void cleanup().finally(() => process.exit(143)));
process.on('exit', () => {
  for (const child of runningChildren()) child.process.kill('SIGKILL');
});

// ------------------------------------------------------------------ helpers
const mb = (bytes: number) => bytes / 1e6;
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');

async function probe(): Promise<string> {
  let result;
  try {
    result = await probeDatabase(databaseUrl, { timeoutMs: 2000 });
  } catch (error) {
    throw new SetupError(
      `PostgreSQL is not reachable at ${databaseUrl} (${(error as Error).message}). This benchmark needs a real PostgreSQL server ` +
        '(--database-url or JPLINK_BENCH_DATABASE_URL): the embedded PGlite serialises all connections on one session, so the ' +
        'message log would measure PGlite rather than the Security Server — it is not a fair backend for this benchmark.',
    );
  }
  if (result.kind === 'embedded') throw new SetupError(`${databaseUrl} is an embedded PGlite, not PostgreSQL: not a fair backend for this benchmark (it serialises connections)`);
  return `PostgreSQL ${result.version}`;
}

interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p90ms: number;
  p99ms: number;
  maxMs: number;
  failed: number;
  failures: Record<string, number>;
  sampleFailure?: string;
  verified: number;
}

type SsLoop = { utilisation: number; delayP50ms: number; delayP99ms: number; delayMaxMs: number };
interface Run {
  chain: 'plain' | 'ss';
  /** An SS run with timestamping and archiving on (--evidence-compare). */
  evidence?: boolean;
  size: number;
  round: number;
  load: LoadResult;
  /** Cores used during the measured window, by process group. */
  cpu: Record<string, number>;
  /** Highest VmRSS sampled (every 100 ms) during warm-up + measurement, per hop process. */
  peakRss: [number, number];
  loop?: [SsLoop, SsLoop];
  stages?: [Record<string, { calls: number; meanMs: number; maxMs: number }>, Record<string, { calls: number; meanMs: number; maxMs: number }>];
  batching?: { logRecordsPerBatch: [number, number]; messagesPerSignature: [number, number]; largestSignBatch: [number, number]; logBatches: [number, number]; signatures: [number, number] };
  profiles?: [string, string];
}

// ------------------------------------------------------------------ main
async function main(): Promise<void> {
  const database = await probe();
  schemasCreated = true;
  tempRoot = await mkdtemp(join(tmpdir(), 'jplink-ss-bench-'));
  const logs = join(tempRoot, 'logs');
  await mkdir(logs);
  const profileDir = values['profile-dir'] ?? join(tempRoot, 'profiles');
  if (values['cpu-prof']) await mkdir(profileDir, { recursive: true });

  // How busy the machine is before we start (other work shares it).
  const idle0 = machineCpuSeconds();
  await new Promise((r) => setTimeout(r, 3000));
  const idle1 = machineCpuSeconds();
  const backgroundCores = ((idle1.busy - idle0.busy) / (idle1.total - idle0.total)) * cpus().length;
  log(`background load before start: ${backgroundCores.toFixed(2)} of ${cpus().length} cores busy`);

  log('starting the Center and the echo backend');
  const [center, echo] = await Promise.all([
    spawnChild({
      name: 'center',
      script: 'scripts/bench/ss-bench-center.ts',
      logFile: join(logs, 'center.log'),
      env: {
        BENCH_CHILD: JSON.stringify({
          databaseUrl,
          schema: `${schemaPrefix}center`,
          dataDir: join(tempRoot, 'center'),
          instance: INSTANCE,
          members: [CONSUMER, PROVIDER].map(({ memberClass, memberCode, name, subsystem }) => ({ memberClass, memberCode, name, subsystem })),
        }),
      },
    }),
    spawnChild({ name: 'echo', script: 'scripts/bench/ss-bench-echo.ts', logFile: join(logs, 'echo.log') }),
  ]);
  const echoPort = echo.ready.port as number;

  log('starting and enrolling the two Security Servers');
  const evidenceIntervals = {
    ...(values['timestamp-interval'] ?? (values.evidence ? '1' : undefined) ? { timestampInterval: Number(values['timestamp-interval'] ?? 1) } : {}),
    ...(values['archive-interval'] ?? (values.evidence ? '2' : undefined) ? { archiveInterval: Number(values['archive-interval'] ?? 2) } : {}),
  };
  const startSs = (member: typeof CONSUMER, name: string) =>
    spawnChild({
      name,
      script: 'scripts/bench/ss-bench-node.ts',
      logFile: join(logs, `${name}.log`),
      ...(values['ss-node-args'] ? { nodeArgs: values['ss-node-args'].split(' ').filter(Boolean) } : {}),
      env: {
        BENCH_CHILD: JSON.stringify({
          serverId: `${INSTANCE}/${member.memberClass}/${member.memberCode}/${member.server}`,
          subsystem: `${INSTANCE}/${member.memberClass}/${member.memberCode}/${member.subsystem}`,
          anchor: center.ready.anchor,
          databaseUrl,
          schema: `${schemaPrefix}${member.server.replace('-', '_')}`,
          dataDir: join(tempRoot!, member.server),
          ...evidenceIntervals,
          ...(values['log-commit-delay-ms'] !== undefined ? { logCommitDelayMs: Number(values['log-commit-delay-ms']) } : {}),
        }),
        ...(values.trace ? { BENCH_TRACE: '1' } : {}),
      },
    });
  const [ssA, ssB] = await Promise.all([startSs(CONSUMER, 'ss-a'), startSs(PROVIDER, 'ss-b')]);
  // Each must see the other's registration in the global configuration.
  await Promise.all([ssA.command('wait-client', { server: PROVIDER_SERVER, subsystem: PROVIDER_SUBSYSTEM }), ssB.command('wait-client', { server: CONSUMER_SERVER, subsystem: CONSUMER_SUBSYSTEM })]);
  await ssB.command('provide', { subsystem: PROVIDER_SUBSYSTEM, serviceCode: SERVICE, url: `http://127.0.0.1:${echoPort}`, consumer: CONSUMER_SUBSYSTEM });
  const ssPort = (ssA.ready.ports as { isHttp: number }).isHttp;

  log('starting the plain proxy chain');
  const proxyB = await spawnChild({ name: 'plain-b', script: 'scripts/bench/ss-bench-plain-proxy.ts', args: [String(echoPort)], logFile: join(logs, 'plain-b.log') });
  const proxyA = await spawnChild({ name: 'plain-a', script: 'scripts/bench/ss-bench-plain-proxy.ts', args: [String(proxyB.ready.port)], logFile: join(logs, 'plain-a.log') });
  const plainPort = proxyA.ready.port as number;

  // One request through each chain before measuring anything.
  for (const [label, port] of [['plain chain', plainPort], ['Security Server chain', ssPort]] as const) {
    const body = JSON.stringify({ hello: 'JP-Link', at: label });
    const response = await fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', headers: { ...HEADERS, 'content-type': 'application/json' }, body });
    const text = await response.text();
    if (response.status !== 200 || text !== body) throw new Error(`${label}: smoke request answered ${response.status}: ${text.slice(0, 500)}`);
  }
  log(`both chains answer; measuring (pids: center ${center.pid}, echo ${echo.pid}, ss-a ${ssA.pid}, ss-b ${ssB.pid}, plain-a ${proxyA.pid}, plain-b ${proxyB.pid})`);

  // Memory: sampled every 100 ms for the hop processes.
  const hops = { plain: [proxyA, proxyB] as const, ss: [ssA, ssB] as const };
  let phasePeak: [number, number] = [0, 0];
  let sampled: readonly [BenchChild, BenchChild] | undefined;
  const sampler = setInterval(() => {
    if (!sampled) return;
    sampled.forEach((child, i) => {
      const m = memoryOf(child.pid);
      if (m) phasePeak[i] = Math.max(phasePeak[i]!, m.rss);
    });
  }, 100);

  type SsStats = {
    signers: Array<{ signatures: number; messages: number; largestBatch: number }>;
    messageLog: { records: number; batches: number };
    evidence: { timestamps: number; unstampedRecords: number; archiving: { lastFiles: number; lastError: string | null } };
    loop: { utilisation: number; delayP50ms: number; delayP99ms: number; delayMaxMs: number };
    stages: Record<string, { calls: number; meanMs: number; maxMs: number }>;
    memory: NodeJS.MemoryUsage;
  };
  const ssStats = async (reset = false) => Promise.all([ssA.command('stats', { reset }), ssB.command('stats', { reset })]) as Promise<SsStats[]>;

  const setEvidence = (on: boolean) => Promise.all([ssA, ssB].map((ss) => ss.command('evidence', { on, timestampSeconds: 1, archiveSeconds: 2 })));

  async function measure(chain: 'plain' | 'ss', size: number, round: number, evidence = false): Promise<Run> {
    const [hopA, hopB] = hops[chain];
    if (evidence) await setEvidence(true);
    const before = chain === 'ss' ? await ssStats(true) : undefined;
    const profiling = values['cpu-prof'] && chain === 'ss';
    if (profiling) await Promise.all([ssA.command('profile-start'), ssB.command('profile-start')]);
    phasePeak = [0, 0];
    sampled = hops[chain];
    const groups = () => ({
      'load generator': 0,
      [`${chain === 'ss' ? 'SS-A' : 'proxy-A'}`]: cpuSecondsOf(hopA.pid),
      [`${chain === 'ss' ? 'SS-B' : 'proxy-B'}`]: cpuSecondsOf(hopB.pid),
      echo: cpuSecondsOf(echo.pid),
      'bench parent': (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    });
    let cpuStart: { groups: Record<string, number>; postgres: Map<number, number>; machine: { busy: number; total: number; steal: number }; wall: number } | undefined;
    let cpu: Record<string, number> = {};
    const loader = await spawnChild({
      name: `load-${chain}-${size}`,
      script: 'scripts/bench/ss-bench-load.ts',
      logFile: join(logs, `load-${chain}-${size}-${round}.log`),
      env: { BENCH_CHILD: JSON.stringify({ port: chain === 'ss' ? ssPort : plainPort, path: PATH, headers: HEADERS, bodySize: size, bodyKind: values.body, connections, warmupSeconds: warmup, seconds, verifyEvery }) },
    });
    const result = await new Promise<LoadResult>((resolve, reject) => {
      loader.onMessage((message) => {
        if (message.phase === 'measure-start') {
          cpuStart = { groups: { ...groups(), 'load generator': cpuSecondsOf(loader.pid) }, postgres: cpuSecondsByCommand('postgres'), machine: machineCpuSeconds(), wall: performance.now() };
        } else if (message.phase === 'measure-end' && cpuStart) {
          const end = { ...groups(), 'load generator': cpuSecondsOf(loader.pid) };
          const postgres = cpuSecondsByCommand('postgres');
          const machine = machineCpuSeconds();
          const wall = (performance.now() - cpuStart.wall) / 1000;
          let ours = 0;
          cpu.postgres = cpuSecondsBetween(cpuStart.postgres, postgres) / wall;
          ours += cpu.postgres;
          for (const [name, value] of Object.entries(end)) {
            cpu[name] = (value - cpuStart.groups[name]!) / wall;
            ours += cpu[name]!;
          }
          const machineCores = ((machine.busy - cpuStart.machine.busy) / (machine.total - cpuStart.machine.total)) * cpus().length;
          const stolen = ((machine.steal - cpuStart.machine.steal) / (machine.total - cpuStart.machine.total)) * cpus().length;
          cpu['other (not ours)'] = Math.max(0, machineCores - ours - stolen);
          cpu['stolen by the host'] = stolen;
          cpu['machine busy'] = machineCores;
        } else if (message.result) resolve(message.result as LoadResult);
      });
      void loader.exited.then((code) => reject(new Error(`load generator exited (${code}) without a result\n${tail(loader.logFile)}`)));
    });
    await loader.exited;
    if (evidence) await setEvidence(false);
    sampled = undefined;
    const run: Run = { chain, size, round, load: result, cpu, peakRss: [...phasePeak] as [number, number], ...(evidence ? { evidence } : {}) };
    if (profiling) {
      const files: [string, string] = [join(profileDir, `ss-a-${size}-r${round}.cpuprofile`), join(profileDir, `ss-b-${size}-r${round}.cpuprofile`)];
      await Promise.all([ssA.command('profile-stop', { file: files[0] }), ssB.command('profile-stop', { file: files[1] })]);
      run.profiles = files;
    }
    if (before) {
      const after = await ssStats();
      const delta = (i: number) => {
        const signBefore = before[i]!.signers.reduce((n, s) => ({ signatures: n.signatures + s.signatures, messages: n.messages + s.messages }), { signatures: 0, messages: 0 });
        const signAfter = after[i]!.signers.reduce((n, s) => ({ signatures: n.signatures + s.signatures, messages: n.messages + s.messages }), { signatures: 0, messages: 0 });
        return {
          records: after[i]!.messageLog.records - before[i]!.messageLog.records,
          batches: after[i]!.messageLog.batches - before[i]!.messageLog.batches,
          signatures: signAfter.signatures - signBefore.signatures,
          messages: signAfter.messages - signBefore.messages,
          largest: Math.max(0, ...after[i]!.signers.map((s) => s.largestBatch)),
        };
      };
      const [a, b] = [delta(0), delta(1)];
      run.loop = [after[0]!.loop, after[1]!.loop];
      run.stages = [after[0]!.stages, after[1]!.stages];
      run.batching = {
        logRecordsPerBatch: [a.records / a.batches, b.records / b.batches],
        messagesPerSignature: [a.messages / a.signatures, b.messages / b.signatures],
        largestSignBatch: [a.largest, b.largest],
        logBatches: [a.batches, b.batches],
        signatures: [a.signatures, b.signatures],
      };
    }
    const l = run.load;
    log(`${(evidence ? 'ss+ev' : chain).padEnd(5)} ${String(size).padStart(7)} B round ${round}: ${fmt(l.perSecond)} req/s, p50 ${fmt(l.p50ms, 2)} ms, p99 ${fmt(l.p99ms, 2)} ms, failed ${l.failed}${l.sampleFailure ? ` (e.g. ${l.sampleFailure})` : ''}`);
    return run;
  }

  const runs: Run[] = [];
  for (const size of sizes) {
    for (let round = 1; round <= rounds; round++) {
      runs.push(await measure('plain', size, round));
      runs.push(await measure('ss', size, round));
      if (compareEvidence) runs.push(await measure('ss', size, round, true));
    }
  }
  clearInterval(sampler);
  const hwm = [memoryOf(ssA.pid)?.hwm ?? Number.NaN, memoryOf(ssB.pid)?.hwm ?? Number.NaN];
  const finalStats = await ssStats();

  // ---------------------------------------------------------------- report
  const sizeName = (n: number) => (n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`);
  const label = (run: Run) => `${sizeName(run.size)}${rounds > 1 ? ` #${run.round}` : ''}${run.evidence ? ' +evidence' : ''}`;
  const lines: string[] = [];
  const out = (text = '') => lines.push(text);
  out(`JP-Link Security Server exchange benchmark — ${new Date().toISOString()}`);
  out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${database}; every process shares the cores (no pinning)`);
  out(`load: closed loop, ${connections} keep-alive connections, POST application/json, ${warmup} s warm-up then ${seconds} s measured per chain and size, ${rounds} round(s), ${compareEvidence ? 'plain, SS, then SS with evidence on' : 'plain then SS'}; full body compared on every ${verifyEvery}th response, status and length on all; bodies ${values.body}; message-log commit delay ${values['log-commit-delay-ms'] !== undefined ? `${values['log-commit-delay-ms']} ms` : 'the server default'}`);
  out(`background load before start: ${backgroundCores.toFixed(2)} of ${cpus().length} cores busy${values['cpu-prof'] ? '; CPU PROFILER ON in both SSs during their runs (throughput is lower than without it)' : ''}`);
  out();
  out('| body | plain req/s | plain p50 ms | plain p99 ms | SS req/s | SS p50 ms | SS p99 ms | ratio SS/plain | peak RSS SS-A / SS-B (MB) | failures plain / SS |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const size of sizes) {
    for (let round = 1; round <= rounds; round++) {
      const plain = runs.find((r) => r.chain === 'plain' && r.size === size && r.round === round)!;
      const ss = runs.find((r) => r.chain === 'ss' && !r.evidence && r.size === size && r.round === round)!;
      out(
        `| ${sizeName(size)}${rounds > 1 ? ` #${round}` : ''} | ${fmt(plain.load.perSecond)} | ${fmt(plain.load.p50ms, 2)} | ${fmt(plain.load.p99ms, 2)} | ${fmt(ss.load.perSecond)} | ${fmt(ss.load.p50ms, 2)} | ${fmt(ss.load.p99ms, 2)} | ${(ss.load.perSecond / plain.load.perSecond).toFixed(2)} | ${fmt(mb(ss.peakRss[0]))} / ${fmt(mb(ss.peakRss[1]))} | ${plain.load.failed} / ${ss.load.failed} |`,
      );
    }
  }
  if (compareEvidence) {
    out();
    out('With timestamping every second and archiving every 2 s (issue 4), the same servers in the same round:');
    out();
    out('| body | plain req/s | SS req/s | ratio | SS + evidence req/s | ratio | ratio drop | peak RSS SS-A / SS-B with evidence (MB) |');
    out('|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const size of sizes) {
      for (let round = 1; round <= rounds; round++) {
        const of = (chain: 'plain' | 'ss', evidence: boolean) => runs.find((r) => r.chain === chain && !!r.evidence === evidence && r.size === size && r.round === round)!;
        const [plain, ss, ev] = [of('plain', false), of('ss', false), of('ss', true)];
        const [r0, r1] = [ss.load.perSecond / plain.load.perSecond, ev.load.perSecond / plain.load.perSecond];
        out(`| ${sizeName(size)}${rounds > 1 ? ` #${round}` : ''} | ${fmt(plain.load.perSecond)} | ${fmt(ss.load.perSecond)} | ${r0.toFixed(3)} | ${fmt(ev.load.perSecond)} | ${r1.toFixed(3)} | ${((1 - r1 / r0) * 100).toFixed(1)} % | ${fmt(mb(ev.peakRss[0]))} / ${fmt(mb(ev.peakRss[1]))} |`);
      }
    }
  }
  out();
  out(`Security Server lifetime peak resident memory (VmHWM, includes enrolment): SS-A ${fmt(mb(hwm[0]!))} MB, SS-B ${fmt(mb(hwm[1]!))} MB; plain proxies peaked at ${runs
    .filter((r) => r.chain === 'plain')
    .map((r) => `${fmt(mb(r.peakRss[0]))} / ${fmt(mb(r.peakRss[1]))}`)
    .join(', ')} MB`);
  out();
  out('Batching in the Security Servers during each SS run (SS-A = client side, SS-B = provider side):');
  out();
  out('| body | log records per INSERT batch A / B | messages per signature A / B | largest signed batch A / B | signatures A / B |');
  out('|---|---:|---:|---:|---:|');
  for (const run of runs.filter((r) => r.chain === 'ss')) {
    const b = run.batching!;
    out(`| ${label(run)} | ${b.logRecordsPerBatch.map((n) => n.toFixed(1)).join(' / ')} | ${b.messagesPerSignature.map((n) => n.toFixed(1)).join(' / ')} | ${b.largestSignBatch.join(' / ')} | ${b.signatures.map((n) => fmt(n)).join(' / ')} |`);
  }
  out();
  out('Event loop of each SS during its run (utilisation = share of time the loop was busy; delay = how late timers ran):');
  out();
  out('| body | loop utilisation A / B | loop delay p50 A / B (ms) | loop delay p99 A / B (ms) |');
  out('|---|---:|---:|---:|');
  for (const run of runs.filter((r) => r.chain === 'ss')) {
    const [a, b] = run.loop!;
    out(`| ${label(run)} | ${a.utilisation.toFixed(2)} / ${b.utilisation.toFixed(2)} | ${a.delayP50ms.toFixed(1)} / ${b.delayP50ms.toFixed(1)} | ${a.delayP99ms.toFixed(1)} / ${b.delayP99ms.toFixed(1)} |`);
  }
  if (values.trace) {
    out();
    out('Stage timings inside the SSs (--trace; mean / max ms from call to settled promise, calls):');
    for (const run of runs.filter((r) => r.chain === 'ss')) {
      run.stages!.forEach((stages, i) => {
        out(`  ${sizeName(run.size)} ${i === 0 ? 'SS-A' : 'SS-B'}:`);
        for (const [stage, s] of Object.entries(stages)) out(`    ${stage.padEnd(48)} ${s.meanMs.toFixed(2).padStart(8)} / ${s.maxMs.toFixed(1).padStart(7)} ms  ×${s.calls}`);
      });
    }
  }
  out();
  out('CPU during the measured window, in cores (of ' + cpus().length + '); "postgres" is every PostgreSQL process on the machine, "other" is the rest of the machine (other work, the kernel, the idle Center); "stolen" is CPU the hypervisor gave to other guests (a run with more than a few hundredths of a core stolen is not comparable):');
  out();
  out('| run | load generator | hop A | hop B | echo | postgres | bench parent | other (not ours) | stolen by the host | machine busy |');
  out('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const run of runs) {
    const c = run.cpu;
    const hop = run.chain === 'ss' ? ['SS-A', 'SS-B'] : ['proxy-A', 'proxy-B'];
    out(
      `| ${run.chain === 'ss' ? 'SS' : 'plain'} ${label(run)} | ${c['load generator']?.toFixed(2)} | ${c[hop[0]!]?.toFixed(2)} | ${c[hop[1]!]?.toFixed(2)} | ${c.echo?.toFixed(2)} | ${c.postgres?.toFixed(2)} | ${c['bench parent']?.toFixed(2)} | ${c['other (not ours)']?.toFixed(2)} | ${c['stolen by the host']?.toFixed(2)} | ${c['machine busy']?.toFixed(2)} |`,
    );
  }
  out();
  out('CPU per request (ms of CPU per completed request, from the same window): what one exchange costs each process:');
  out();
  out('| run | hop A | hop B | echo | postgres | load generator |');
  out('|---|---:|---:|---:|---:|---:|');
  for (const run of runs) {
    const c = run.cpu;
    const hop = run.chain === 'ss' ? ['SS-A', 'SS-B'] : ['proxy-A', 'proxy-B'];
    const per = (cores: number | undefined) => (cores === undefined ? '–' : ((cores / run.load.perSecond) * 1000).toFixed(3));
    out(`| ${run.chain === 'ss' ? 'SS' : 'plain'} ${label(run)} | ${per(c[hop[0]!])} | ${per(c[hop[1]!])} | ${per(c.echo)} | ${per(c.postgres)} | ${per(c['load generator'])} |`);
  }
  const failures = runs.filter((r) => r.load.failed > 0 || Object.keys(r.load.failures).length > 0);
  if (failures.length) {
    out();
    for (const r of failures) out(`failures ${r.chain} ${sizeName(r.size)}: ${JSON.stringify(r.load.failures)}${r.load.sampleFailure ? ` e.g. ${r.load.sampleFailure}` : ''}`);
  }
  out();
  const heap = (m: NodeJS.MemoryUsage) => `rss ${mb(m.rss).toFixed(0)}, heap ${mb(m.heapUsed).toFixed(0)} of ${mb(m.heapTotal).toFixed(0)}, external ${mb(m.external).toFixed(0)} (array buffers ${mb(m.arrayBuffers).toFixed(0)}) MB`;
  out(`memory at the end (process.memoryUsage): SS-A ${heap(finalStats[0]!.memory)}; SS-B ${heap(finalStats[1]!.memory)}`);
  out(`signer stats over the whole run: SS-A ${JSON.stringify(finalStats[0]!.signers)}; SS-B ${JSON.stringify(finalStats[1]!.signers)}`);
  out(`message log over the whole run: SS-A ${JSON.stringify(finalStats[0]!.messageLog)}; SS-B ${JSON.stringify(finalStats[1]!.messageLog)}`);
  out(`evidence (${compareEvidence ? 'timestamping every 1 s and archiving every 2 s during the +evidence runs only' : `timestamping every ${evidenceIntervals.timestampInterval ?? 'day'} s, archiving every ${evidenceIntervals.archiveInterval ?? 'week'} s`}): SS-A ${JSON.stringify(finalStats[0]!.evidence)}; SS-B ${JSON.stringify(finalStats[1]!.evidence)}`);

  const targetRun = runs.find((r) => r.chain === 'ss' && !r.evidence && r.size === 1024);
  const targetPlain = runs.find((r) => r.chain === 'plain' && r.size === 1024);
  if (targetRun && targetPlain) {
    const peak = Math.max(...runs.filter((r) => r.chain === 'ss').flatMap((r) => r.peakRss), ...hwm);
    out();
    out(
      `targets (2 cores): ≥ 1,500 req/s at 1 KiB → ${fmt(targetRun.load.perSecond)} ${targetRun.load.perSecond >= 1500 ? 'MET' : 'NOT MET'}; ` +
        `ratio ≥ 0.5 → ${(targetRun.load.perSecond / targetPlain.load.perSecond).toFixed(2)} ${targetRun.load.perSecond / targetPlain.load.perSecond >= 0.5 ? 'MET' : 'NOT MET'}; ` +
        `≤ 300 MB per SS → ${fmt(mb(peak))} MB ${mb(peak) <= 300 ? 'MET' : 'NOT MET'}`,
    );
    if (compareEvidence) {
      // Mean ratios over the rounds: each round's ratios share its plain run and its phase of the machine.
      const ratios = (evidence: boolean) => runs.filter((r) => r.chain === 'ss' && !!r.evidence === evidence && r.size === 1024).map((r) => r.load.perSecond / runs.find((p) => p.chain === 'plain' && p.size === 1024 && p.round === r.round)!.load.perSecond);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const [without, withEvidence] = [mean(ratios(false)), mean(ratios(true))];
      const drop = 1 - withEvidence / without;
      out(`issue 4 (1 KiB, mean of ${ratios(true).length} round(s)): ratio ${without.toFixed(3)} without evidence, ${withEvidence.toFixed(3)} with → drop ${(drop * 100).toFixed(1)} % (≤ 10 %: ${drop <= 0.1 ? 'MET' : 'NOT MET'})`);
    }
  }
  console.log(lines.join('\n'));

  if (values['cpu-prof']) {
    console.log('\nCPU profiles (inspector sampling at 1 ms, scoped to each SS run: warm-up + measurement):');
    for (const run of runs.filter((r) => r.profiles)) {
      for (const [i, file] of run.profiles!.entries()) {
        console.log(`\n${formatSummary(`${i === 0 ? 'SS-A (client side)' : 'SS-B (provider side)'} ${sizeName(run.size)} — ${file}`, summariseProfile(file, 20))}`);
      }
    }
  }
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  if (!interrupted) {
    process.stderr.write(`\nbenchmark failed: ${error instanceof SetupError ? error.message : ((error as Error).stack ?? String(error))}\n`);
    for (const child of runningChildren()) process.stderr.write(`\n--- last lines of ${child.name} (${child.logFile}) ---\n${tail(child.logFile, 15)}\n`);
  }
} finally {
  await cleanup();
}
