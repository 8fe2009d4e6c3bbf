// Benchmark: the Adapter Server's get-by-key data service against the same query through a bare
// `pg` pool behind a bare node:http server, in the same run, with the same load; prints requests/s,
// p50/p99 latency, the ratio ours/baseline (target ≥ 0.7), CPU per request of each process, the
// machine and the date.
//
// Usage (from the repository root):
//   npx tsx scripts/bench/adapter-get-by-key.ts [--seconds 10] [--warmup 2] [--rounds 3]
//       [--concurrency 16] [--pool 10] [--rows 10000] [--rate 0] [--verify-every 100]
//       [--cpu-prof [--profile-dir DIR]] [--adapter-src DIR …] [--keep-temp]
//       [--database-url postgres://postgres@127.0.0.1:5432/postgres]
// --rounds: each round measures the baseline and the Adapter Server one after the other, every
//   other round in reverse order (drift and position effects cancel); medians over the rounds.
// --concurrency: keep-alive connections of the load generator (requests in flight).
// --pool: connections in the adapter's target pool (the connection's poolMax) and in the baseline's pool.
// --rate N: pace the load at N requests/s in total instead of the closed loop: every server then
//   does the same work, so CPU per request compares code cost rather than load level (A/B runs).
// --cpu-prof: V8 CPU profiles (1 ms sampling, inspector) of every server during its round-1
//   measurement (that round is left out of the medians when there are others), summarised at the
//   end, with a table of where each server's CPU went per request.
// --adapter-src DIR (repeatable): also measure an Adapter Server built from a copy of
//   services/adapter-server/src in DIR (A/B of a candidate change in the same run, alternating);
//   DIR's parent needs package.json {"type":"module"} and a node_modules symlink to
//   services/adapter-server/node_modules. Prints each one's per-round ratios against ours.
//
// What runs: a fresh schema with a 10,000-row `residents` table on the real PostgreSQL; a baseline
// child process (node:http + pg.Pool: parse the key from the path, one SELECT of the same columns,
// JSON.stringify of the row) and an Adapter Server child process (createAdapterServer, its store in
// another fresh schema, the connection, Sub System Code `residents` and `get` data service defined
// through its admin API; the HTTP data port). The load generator is this process: a closed loop over
// N keep-alive connections on raw sockets (prebuilt request heads, a minimal response parser), the
// same for both, GET /residents/get/<random id> with X-Road-Client and X-Road-Id. Every process
// shares the machine's cores (no pinning). Both schemas are dropped at the end (also on Ctrl-C).
// CPU per request: the server process (process.cpuUsage inside it), its own PostgreSQL backends
// (the pids of its sessions by application_name in pg_stat_activity, read from /proc; the adapter's
// target pool and its store pool, where the call log goes), and the load generator (this process).
// Other PostgreSQL processes (background workers, other people's sessions) and the rest of the
// machine are shown apart in cores: on a shared machine, read the rounds with little other load.
// The CPU-cost ratio (baseline's server + backends CPU per request ÷ ours) is the throughput ratio
// a saturated machine would give; it is less disturbed by other work than requests/s.
// Not a test: it prints tables; docs/performance.md keeps the results.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import type { Database } from '@jplink/db';
import {
  cpuSecondsBetween,
  cpuSecondsByCommand,
  emit,
  machineCpuSeconds,
  REPO_ROOT,
  runningChildren,
  serveCommands,
  spawnChild,
  stopChild,
  tail,
  type BenchChild,
} from './ss-bench-common.ts';
import { formatSummary, summariseProfile } from './ss-bench-profile.ts';
import { Connection, type Response } from './raw-http-connection.ts';

const ADAPTER_PACKAGE = join(REPO_ROOT, 'services/adapter-server');
/** The adapter's own `pg` (the root package does not depend on it); typed through @jplink/db's pool. */
type PgPool = Database['pool'];
const pg = createRequire(join(ADAPTER_PACKAGE, 'package.json'))('pg') as { Pool: new (config: Record<string, unknown>) => PgPool };

const SUBSYSTEM = 'residents';
const SERVICE = 'get';
const CLIENT = 'JP-BENCH/COM/1111111111111/client';
const TABLE = 'residents';
/** Columns (as the data service declares them) and their types. */
const COLUMNS = [
  ['id', 'integer'],
  ['user_id', 'string'],
  ['name', 'string'],
  ['email', 'string'],
  ['birth_year', 'integer'],
  ['city', 'string'],
  ['active', 'boolean'],
  ['registered_on', 'date'],
  ['points', 'number'],
] as const;

/** Time a process has run on a CPU, in ns resolution (/proc/PID/schedstat; /proc/PID/stat counts 10 ms ticks). */
function onCpuSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return 0;
  }
}

const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
const quoteId = (name: string) => `"${name.replaceAll('"', '""')}"`;

// =================================================================================== child side

interface ChildInput {
  role: 'baseline' | 'adapter';
  databaseUrl: string;
  /** baseline: the target table's schema; adapter: its store schema. */
  schema: string;
  pool: number;
  /** adapter: the source directory to load createAdapterServer from. */
  src?: string;
  dataDir?: string;
}

/** Commands both servers answer: cpu (process.cpuUsage + event-loop utilisation), profile-start, profile-stop {file}, stats. */
async function runChild(input: ChildInput): Promise<void> {
  let profiler: Session | undefined;
  let stats: () => Record<string, unknown> = () => ({});
  let shutdown: () => Promise<void>;
  let ready: Record<string, unknown>;

  if (input.role === 'baseline') {
    const url = new URL(input.databaseUrl);
    const pool = new pg.Pool({
      host: url.hostname,
      port: Number(url.port || 5432),
      database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
      user: decodeURIComponent(url.username) || 'postgres',
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      max: input.pool,
      application_name: 'adbench-baseline',
    });
    pool.on('error', () => {});
    const text = `select ${COLUMNS.map(([c]) => quoteId(c)).join(', ')} from ${quoteId(input.schema)}.${quoteId(TABLE)} where ${quoteId('id')} = $1`;
    const server = createServer((request, response) => {
      const url = request.url ?? '';
      const key = url.slice(url.lastIndexOf('/') + 1);
      pool.query({ text, values: [key] }).then(
        (result: { rows: unknown[] }) => {
          const row = result.rows[0];
          if (!row) {
            response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"error":"not found"}');
            return;
          }
          const body = JSON.stringify(row);
          response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
        },
        () => response.writeHead(500).end(),
      );
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    ready = { ready: true, port: (server.address() as { port: number }).port };
    shutdown = async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await pool.end();
    };
  } else {
    const src = input.src!;
    const [{ openDatabase }, { createLogger }, { freePort }, { adapterConfigSchema }, { createAdapterServer }] = await Promise.all([
      import('@jplink/db'),
      import('@jplink/kit'),
      import('@jplink/testing'),
      import(pathToFileURL(join(src, 'config.ts')).href),
      import(pathToFileURL(join(src, 'adapter-server.ts')).href),
    ]);
    const dataDir = input.dataDir!;
    await mkdir(dataDir, { recursive: true });
    const ports = { data: await freePort(), dataHttps: await freePort(), admin: await freePort() };
    const config = adapterConfigSchema.parse({
      JPLINK_MODE: 'production',
      ADAPTER_DATA_DIR: dataDir,
      ADAPTER_SECRET_FILE: join(dataDir, 'unused'),
      ADAPTER_DATABASE_URL: input.databaseUrl,
      ADAPTER_DATABASE_SCHEMA: input.schema,
      ADAPTER_HOST: '127.0.0.1',
      ADAPTER_DATA_HTTP_PORT: String(ports.data),
      ADAPTER_DATA_HTTPS_PORT: String(ports.dataHttps),
      ADAPTER_ADMIN_PORT: String(ports.admin),
      ADAPTER_PUBLIC_DATA_URL: `http://127.0.0.1:${ports.data}`,
      ADAPTER_LOG_LEVEL: 'warn',
    });
    const logger = createLogger({ name: 'bench-adapter', level: 'warn', destination: process.stderr });
    // The store as server.ts opens it (default pool of 10).
    const database = await openDatabase({ url: input.databaseUrl, schema: input.schema, logger });
    const adapter = await createAdapterServer(config, { database, logger, passphrase: 'adapter-bench-passphrase' });
    const bound = await adapter.listen();
    const adminKey = (await readFile(adapter.files.adminApiKey, 'utf8')).trim();
    ready = { ready: true, port: bound.dataHttp, adminPort: bound.admin, adminKey };
    stats = () => ({ callLogDropped: adapter.calls.dropped });
    shutdown = async () => {
      await adapter.close();
      await database.pool.query(`drop schema if exists ${quoteId(input.schema)} cascade`).catch(() => {});
      await database.close();
    };
  }

  let elu = performance.eventLoopUtilization();
  serveCommands(async (command) => {
    switch (command.cmd) {
      case 'cpu': {
        const usage = process.cpuUsage();
        const now = performance.eventLoopUtilization();
        const delta = performance.eventLoopUtilization(now, elu);
        elu = now;
        return { cpuSeconds: (usage.user + usage.system) / 1e6, loopUtilisation: delta.utilization, ...stats() };
      }
      case 'stats':
        return stats();
      case 'profile-start':
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 1000 });
        await profiler.post('Profiler.start');
        return {};
      case 'profile-stop': {
        if (!profiler) throw new Error('no profile running');
        const { profile } = await profiler.post('Profiler.stop');
        profiler.disconnect();
        profiler = undefined;
        await writeFile(String(command.file), JSON.stringify(profile));
        return { file: command.file };
      }
      default:
        throw new Error(`unknown command ${command.cmd}`);
    }
  }, () => shutdown());
  emit(ready);
}

// ============================================================================ load generator

interface LoadResult {
  requests: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  failed: number;
  failures: Record<string, number>;
  sampleFailure?: string;
  verified: number;
  meanResponseBytes: number;
}

interface LoadOptions {
  port: number;
  concurrency: number;
  rows: number;
  warmupSeconds: number;
  seconds: number;
  verifyEvery: number;
  /** Requests per second in total (paced); 0 = as fast as the server answers (closed loop). */
  rate: number;
  onMeasureStart: () => void | Promise<void>;
  onMeasureEnd: () => void | Promise<void>;
}

/** Closed loop: each connection sends its next GET when the last one answered; random keys 1…rows. */
async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const host = `127.0.0.1:${options.port}`;
  const prefix = `GET /${SUBSYSTEM}/${SERVICE}/`;
  const middle = ` HTTP/1.1\r\nHost: ${host}\r\nX-Road-Client: ${CLIENT}\r\nX-Road-Id: bench-`;
  let x = (Date.now() ^ 0x9e3779b9) >>> 0 || 1;
  const nextKey = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) % options.rows) + 1;
  };
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let sampleFailure: string | undefined;
  let completed = 0;
  let failed = 0;
  let verified = 0;
  let bytes = 0;
  let measuring = false;
  let stopping = false;
  let sequence = 0;
  const fail = (reason: string, detail?: string) => {
    failures[reason] = (failures[reason] ?? 0) + 1;
    if (measuring) failed += 1;
    sampleFailure ??= detail?.slice(0, 300);
  };
  // Pacing (--rate): request i is not sent before paceStart + i / rate.
  const paceStart = performance.now();
  let paced = 0;
  const worker = async () => {
    const connection = new Connection(options.port);
    while (!stopping) {
      if (options.rate > 0) {
        const due = paceStart + (paced++ * 1000) / options.rate;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        if (stopping) break;
      }
      const key = nextKey();
      const n = ++sequence;
      const t0 = performance.now();
      let response: Response;
      try {
        response = await connection.request(`${prefix}${key}${middle}${n}\r\n\r\n`);
      } catch (error) {
        fail('connection error', (error as Error).message);
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const t1 = performance.now();
      if (response.status !== 200) {
        fail(`HTTP ${response.status}`, response.body.toString('utf8'));
        continue;
      }
      if (n % options.verifyEvery === 0) {
        let row: { id?: unknown; user_id?: unknown };
        try {
          row = JSON.parse(response.body.toString('utf8'));
        } catch {
          fail('body is not JSON', response.body.toString('utf8'));
          continue;
        }
        if (Number(row.id) !== key || row.user_id !== `u-${key}`) {
          fail('wrong row', response.body.toString('utf8'));
          continue;
        }
        if (measuring) verified += 1;
      }
      if (measuring) {
        completed += 1;
        bytes += response.body.length;
        latencies.push(t1 - t0);
      }
    }
    connection.close();
  };
  const workers = Array.from({ length: options.concurrency }, () => worker());
  await new Promise((r) => setTimeout(r, options.warmupSeconds * 1000));
  measuring = true;
  const started = performance.now();
  await options.onMeasureStart();
  await new Promise((r) => setTimeout(r, options.seconds * 1000));
  measuring = false;
  const elapsed = (performance.now() - started) / 1000;
  await options.onMeasureEnd();
  stopping = true;
  await Promise.all(workers);
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);
  return {
    requests: completed,
    seconds: elapsed,
    perSecond: completed / elapsed,
    p50ms: pct(50),
    p99ms: pct(99),
    failed,
    failures,
    ...(sampleFailure ? { sampleFailure } : {}),
    verified,
    meanResponseBytes: completed ? bytes / completed : Number.NaN,
  };
}

// =================================================================================== parent side

async function runParent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '16' },
      pool: { type: 'string', default: '10' },
      rows: { type: 'string', default: '10000' },
      'verify-every': { type: 'string', default: '100' },
      rate: { type: 'string', default: '0' },
      'cpu-prof': { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      'adapter-src': { type: 'string', multiple: true },
      'database-url': { type: 'string', default: process.env.JPLINK_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      'keep-temp': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const poolSize = Number(values.pool);
  const rows = Number(values.rows);
  const verifyEvery = Number(values['verify-every']);
  const rate = Number(values.rate);
  if (!Number.isFinite(rate) || rate < 0) throw new Error('--rate must be 0 (closed loop) or requests per second');
  const databaseUrl = values['database-url'];
  for (const [name, n] of Object.entries({ seconds, warmup, rounds, concurrency, pool: poolSize, rows, 'verify-every': verifyEvery })) {
    if (!Number.isFinite(n) || n < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} must be a positive number`);
  }
  if (poolSize > 100) throw new Error('--pool: at most 100 (the connection body allows 1–100)');
  const variants: Array<{ label: string; src: string }> = [
    { label: 'ours', src: join(ADAPTER_PACKAGE, 'src') },
    ...(values['adapter-src'] ?? []).map((dir, i) => ({ label: `ours:${basename(resolve(dir, '..'))}${values['adapter-src']!.length > 1 ? `#${i + 1}` : ''}`, src: resolve(dir) })),
  ];

  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const schemaPrefix = `adbench_${runId}_`;
  const targetSchema = `${schemaPrefix}target`;
  const url = new URL(databaseUrl);
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  admin.on('error', () => {});

  let tempRoot: string | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(runningChildren().map((child) => stopChild(child)));
      // The adapter children drop their store schemas on a clean stop; this catches the rest.
      try {
        const { rows: left } = await admin.query<{ nspname: string }>('select nspname from pg_namespace where position($1 in nspname) = 1', [schemaPrefix]);
        for (const row of left) await admin.query(`drop schema if exists ${quoteId(row.nspname)} cascade`);
      } catch (error) {
        log(`could not drop the schemas ${schemaPrefix}*: ${(error as Error).message}`);
      }
      await admin.end().catch(() => {});
      if (tempRoot && !values['keep-temp']) await rm(tempRoot, { recursive: true, force: true });
    })());
  process.on('SIGINT', () => {
    log('interrupted; cleaning up');
    void cleanup().finally(() => process.exit(130));
  });
  process.on('SIGTERM', () => void cleanup().finally(() => process.exit(143)));
  process.on('exit', () => {
    for (const child of runningChildren()) child.process.kill('SIGKILL');
  });

  try {
    const version = (await admin.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    const settings = (await admin.query<{ name: string; setting: string }>("select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')")).rows;
    const pgFacts = settings.map((s) => `${s.name}=${s.setting}`).join(', ');
    tempRoot = await mkdtemp(join(tmpdir(), 'jplink-adapter-bench-'));
    const logs = join(tempRoot, 'logs');
    await mkdir(logs);
    const profileDir = values['profile-dir'] ?? join(tempRoot, 'profiles');
    if (values['cpu-prof']) await mkdir(profileDir, { recursive: true });

    const idle0 = machineCpuSeconds();
    await new Promise((r) => setTimeout(r, 2000));
    const idle1 = machineCpuSeconds();
    const backgroundCores = ((idle1.busy - idle0.busy) / (idle1.total - idle0.total)) * cpus().length;
    log(`background load before start: ${backgroundCores.toFixed(2)} of ${cpus().length} cores busy`);

    log(`creating ${targetSchema}.${TABLE} with ${rows} rows`);
    await admin.query(`create schema ${quoteId(targetSchema)}`);
    await admin.query(
      `create table ${quoteId(targetSchema)}.${TABLE} (id serial primary key, user_id text not null unique, name text not null, email text, birth_year integer, city text, active boolean not null default true, registered_on date, points numeric(12,2))`,
    );
    await admin.query(
      `insert into ${quoteId(targetSchema)}.${TABLE} (user_id, name, email, birth_year, city, active, registered_on, points)
       select 'u-' || g, '住民 ' || g, 'user' || g || '@example.jp', 1940 + g % 70, (array['tokyo','osaka','sapporo','fukuoka','nagoya'])[1 + g % 5], g % 3 <> 0, date '2020-01-01' + g % 2000, (g % 100000) / 100.0
       from generate_series(1, $1::int) g`,
      [rows],
    );
    await admin.query(`analyze ${quoteId(targetSchema)}.${TABLE}`);

    log('starting the baseline and the Adapter Server(s)');
    const script = 'scripts/bench/adapter-get-by-key.ts';
    const spawnServer = (name: string, input: ChildInput) =>
      spawnChild({ name, script, args: ['--child'], logFile: join(logs, `${name}.log`), env: { ADAPTER_BENCH_CHILD: JSON.stringify(input) } });
    const baseline = await spawnServer('baseline', { role: 'baseline', databaseUrl, schema: targetSchema, pool: poolSize });
    /** application_name of each server's PostgreSQL sessions, to count the CPU of its own backends. */
    const servers: Array<{ label: string; child: BenchChild; appNames: string[] }> = [{ label: 'baseline', child: baseline, appNames: ['adbench-baseline'] }];
    for (const [i, variant] of variants.entries()) {
      const child = await spawnServer(`adapter-${i}`, { role: 'adapter', databaseUrl, schema: `${schemaPrefix}store${i}`, pool: poolSize, src: variant.src, dataDir: join(tempRoot, `adapter-${i}`) });
      // Definitions through the admin API, as an administrator makes them.
      const adminUrl = `http://127.0.0.1:${child.ready.adminPort as number}`;
      const call = async (path: string, body: unknown) => {
        const response = await fetch(`${adminUrl}${path}`, { method: 'POST', headers: { authorization: `Bearer ${child.ready.adminKey as string}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (response.status !== 201) throw new Error(`admin API ${path}: HTTP ${response.status} ${await response.text()}`);
      };
      await call('/api/v1/connections', {
        name: `bench${i}`,
        dialect: 'postgres',
        host: url.hostname,
        port: Number(url.port || 5432),
        database: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
        username: decodeURIComponent(url.username) || 'postgres',
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        poolMax: poolSize,
      });
      await call('/api/v1/subsystems', { code: SUBSYSTEM, title: 'ベンチ住民' });
      await call(`/api/v1/subsystems/${SUBSYSTEM}/services`, {
        name: SERVICE,
        title: '取得',
        kind: 'get',
        connection: `bench${i}`,
        table: { schema: targetSchema, name: TABLE },
        key: 'id',
        columns: COLUMNS.map(([name, type]) => ({ name, type })),
      });
      // The target pools (catalog.ts / target.ts) and the store's pool (openDatabase's default name).
      servers.push({ label: variant.label, child, appNames: [`jplink-adapter:bench${i}`, `jplink-${schemaPrefix}store${i}`] });
    }

    interface Run {
      label: string;
      round: number;
      load: LoadResult;
      /** ms of CPU per completed request. */
      /** postgres: the backends of this server's own sessions. */
      cpuPerRequest: { server: number; postgres: number; generator: number };
      /** ms of CPU per request of the backends of each application_name (the adapter: target pool, store pool). */
      postgresByApp: Record<string, number>;
      /** postgresRest: every other PostgreSQL process (background workers, other sessions); other: the rest of the machine. */
      cores: { server: number; postgres: number; postgresRest: number; generator: number; machine: number; other: number };
      loopUtilisation: number;
      generatorLoopUtilisation: number;
      profile?: string;
    }
    const backends = async (appNames: string[]) => {
      const { rows: found } = await admin.query<{ pid: number; application_name: string }>('select pid, application_name from pg_stat_activity where application_name = any($1)', [appNames]);
      return new Map(found.map((r) => [r.pid, { app: r.application_name, seconds: onCpuSeconds(r.pid) }]));
    };
    const measure = async (server: (typeof servers)[number], round: number, options: { warmupSeconds: number; seconds: number; profile: boolean }): Promise<Run> => {
      let start: { server: number; backends: Map<number, { app: string; seconds: number }>; postgres: Map<number, number>; generator: NodeJS.CpuUsage; machine: { busy: number; total: number }; wall: number } | undefined;
      let end: typeof start;
      let loopUtilisation = Number.NaN;
      let generatorLoop: ReturnType<typeof performance.eventLoopUtilization> | undefined;
      let generatorLoopUtilisation = Number.NaN;
      const profileFile = join(profileDir, `${server.label.replace(/[^a-z0-9#-]/gi, '_')}-r${round}.cpuprofile`);
      const load = await generateLoad({
        port: server.child.ready.port as number,
        concurrency,
        rows,
        warmupSeconds: options.warmupSeconds,
        seconds: options.seconds,
        verifyEvery,
        rate,
        onMeasureStart: async () => {
          if (options.profile) await server.child.command('profile-start');
          const cpu = await server.child.command('cpu');
          generatorLoop = performance.eventLoopUtilization();
          start = { server: cpu.cpuSeconds as number, backends: await backends(server.appNames), postgres: cpuSecondsByCommand('postgres'), generator: process.cpuUsage(), machine: machineCpuSeconds(), wall: performance.now() };
        },
        onMeasureEnd: async () => {
          const cpu = await server.child.command('cpu');
          loopUtilisation = cpu.loopUtilisation as number;
          generatorLoopUtilisation = performance.eventLoopUtilization(generatorLoop).utilization;
          end = { server: cpu.cpuSeconds as number, backends: await backends(server.appNames), postgres: cpuSecondsByCommand('postgres'), generator: process.cpuUsage(), machine: machineCpuSeconds(), wall: performance.now() };
          if (options.profile) await server.child.command('profile-stop', { file: profileFile });
        },
      });
      const wall = (end!.wall - start!.wall) / 1000;
      const serverSeconds = end!.server - start!.server;
      const byApp = new Map<string, number>();
      for (const [pid, { app, seconds }] of end!.backends) byApp.set(app, (byApp.get(app) ?? 0) + seconds - (start!.backends.get(pid)?.seconds ?? 0));
      const postgresSeconds = [...byApp.values()].reduce((a, b) => a + b, 0);
      const postgresAllSeconds = cpuSecondsBetween(start!.postgres, end!.postgres);
      const g = process.cpuUsage(start!.generator);
      const generatorSeconds = (g.user + g.system) / 1e6;
      const machineCores = ((end!.machine.busy - start!.machine.busy) / (end!.machine.total - start!.machine.total)) * cpus().length;
      const per = (s: number) => (s / load.requests) * 1000;
      const run: Run = {
        label: server.label,
        round,
        load,
        cpuPerRequest: { server: per(serverSeconds), postgres: per(postgresSeconds), generator: per(generatorSeconds) },
        postgresByApp: Object.fromEntries([...byApp].map(([app, seconds]) => [app, per(seconds)])),
        cores: {
          server: serverSeconds / wall,
          postgres: postgresSeconds / wall,
          postgresRest: Math.max(0, postgresAllSeconds - postgresSeconds) / wall,
          generator: generatorSeconds / wall,
          machine: machineCores,
          other: Math.max(0, machineCores - (serverSeconds + postgresAllSeconds + generatorSeconds) / wall),
        },
        loopUtilisation,
        generatorLoopUtilisation,
        ...(options.profile ? { profile: profileFile } : {}),
      };
      return run;
    };

    // Warm-up of every server (JIT, pools filled), not counted.
    for (const server of servers) {
      log(`warming up ${server.label}`);
      await measure(server, 0, { warmupSeconds: 0, seconds: Math.max(3, warmup), profile: false });
    }
    const runs: Run[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Every other round in reverse order: drift and position effects cancel over round pairs.
      for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
        const run = await measure(server, round, { warmupSeconds: warmup, seconds, profile: values['cpu-prof'] && round === 1 });
        runs.push(run);
        const l = run.load;
        log(
          `round ${round} ${server.label.padEnd(9)}: ${fmt(l.perSecond)} req/s, p50 ${fmt(l.p50ms, 2)} ms, p99 ${fmt(l.p99ms, 2)} ms, CPU/req server ${run.cpuPerRequest.server.toFixed(3)} ms, its PostgreSQL backends ${run.cpuPerRequest.postgres.toFixed(3)} ms, other load: ${(run.cores.postgresRest + run.cores.other).toFixed(2)} cores, failed ${l.failed}${l.sampleFailure ? ` (e.g. ${l.sampleFailure})` : ''}`,
        );
      }
    }
    const adapterStats = await Promise.all(servers.slice(1).map((s) => s.child.command('stats')));
    const callRows = await Promise.all(variants.map((_, i) => admin.query<{ n: string }>(`select count(*)::text as n from ${quoteId(`${schemaPrefix}store${i}`)}.calls`).then((r) => Number(r.rows[0]!.n), () => Number.NaN)));

    // ------------------------------------------------------------------------------ report
    const lines: string[] = [];
    const out = (text = '') => lines.push(text);
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : Number.NaN;
    };
    out(`JP-Link Adapter Server get-by-key benchmark — ${new Date().toISOString()}`);
    out(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, PostgreSQL ${version} (${pgFacts}) at ${url.host}; every process shares the cores (no pinning)`);
    out(`background load before start: ${backgroundCores.toFixed(2)} of ${cpus().length} cores busy${values['cpu-prof'] ? '; CPU PROFILER ON in both servers during round 1 (its throughput is lower)' : ''}`);
    out(
      `load: ${rate > 0 ? `paced at ${fmt(rate)} req/s over` : 'closed loop,'} ${concurrency} keep-alive connections from this process, GET /${SUBSYSTEM}/${SERVICE}/<random id 1…${rows}> with X-Road-Client and X-Road-Id; ` +
        `${warmup} s warm-up then ${seconds} s measured per server and round, ${rounds} round(s) alternating ${servers.map((s) => s.label).join(', ')} (every other round in reverse order); pools of ${poolSize} connections; every ${verifyEvery}th answer parsed and its row checked`,
    );
    out();
    out('| round | server | req/s | p50 ms | p99 ms | ratio to baseline | CPU/req server ms | CPU/req its PostgreSQL backends ms | CPU/req load gen ms | loop util. server / gen | cores server / its pg / other pg / gen / rest of machine | answer bytes | failed |');
    out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const run of runs) {
      const base = runs.find((r) => r.round === run.round && r.label === 'baseline')!;
      const c = run.cores;
      out(
        `| ${run.round}${run.profile ? ' (profiled)' : ''} | ${run.label} | ${fmt(run.load.perSecond)} | ${fmt(run.load.p50ms, 2)} | ${fmt(run.load.p99ms, 2)} | ${(run.load.perSecond / base.load.perSecond).toFixed(2)} | ${run.cpuPerRequest.server.toFixed(3)} | ${run.cpuPerRequest.postgres.toFixed(3)} | ${run.cpuPerRequest.generator.toFixed(3)} | ${run.loopUtilisation.toFixed(2)} / ${run.generatorLoopUtilisation.toFixed(2)} | ${c.server.toFixed(2)} / ${c.postgres.toFixed(2)} / ${c.postgresRest.toFixed(2)} / ${c.generator.toFixed(2)} / ${c.other.toFixed(2)} | ${fmt(run.load.meanResponseBytes)} | ${run.load.failed} |`,
      );
    }
    out();
    const unprofiled = runs.filter((r) => !r.profile);
    const summaryRuns = unprofiled.length ? unprofiled : runs;
    out(`medians over ${values['cpu-prof'] && rounds > 1 ? 'the unprofiled rounds' : 'the rounds'}:`);
    for (const server of servers) {
      const mine = summaryRuns.filter((r) => r.label === server.label);
      const baseOf = (r: Run) => summaryRuns.find((b) => b.round === r.round && b.label === 'baseline')!;
      const ratios = mine.map((r) => r.load.perSecond / baseOf(r).load.perSecond);
      // On a saturated machine throughput follows CPU per request; this ratio is less disturbed by other work.
      const cpuRatios = mine.map((r) => (baseOf(r).cpuPerRequest.server + baseOf(r).cpuPerRequest.postgres) / (r.cpuPerRequest.server + r.cpuPerRequest.postgres));
      out(
        `  ${server.label.padEnd(10)} ${fmt(median(mine.map((r) => r.load.perSecond))).padStart(6)} req/s, p50 ${fmt(median(mine.map((r) => r.load.p50ms)), 2)} ms, p99 ${fmt(median(mine.map((r) => r.load.p99ms)), 2)} ms, ` +
          `CPU/req server ${median(mine.map((r) => r.cpuPerRequest.server)).toFixed(3)} ms, its PostgreSQL backends ${median(mine.map((r) => r.cpuPerRequest.postgres)).toFixed(3)} ms, load generator ${median(mine.map((r) => r.cpuPerRequest.generator)).toFixed(3)} ms` +
          (server.label === 'baseline' ? '' : `; ratio to baseline ${median(ratios).toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}) → target ≥ 0.7 ${median(ratios) >= 0.7 ? 'MET' : 'NOT MET'}; ` +
            `CPU-cost ratio ${median(cpuRatios).toFixed(2)} (baseline's server + own PostgreSQL backends CPU per request ÷ this one's, per round: ${cpuRatios.map((r) => r.toFixed(2)).join(', ')})`),
      );
    }
    if (servers.length > 2) {
      out();
      out('A/B against ours (same rounds; per-round ratios, median):');
      for (const server of servers.slice(2)) {
        const pairs = summaryRuns.filter((r) => r.label === server.label).map((r) => [r, summaryRuns.find((o) => o.round === r.round && o.label === 'ours')!] as const);
        const cost = (r: Run) => r.cpuPerRequest.server + r.cpuPerRequest.postgres;
        out(
          `  ${server.label}: req/s × ${median(pairs.map(([v, o]) => v.load.perSecond / o.load.perSecond)).toFixed(2)} (${pairs.map(([v, o]) => (v.load.perSecond / o.load.perSecond).toFixed(2)).join(', ')}); ` +
            `server + backends CPU per request × ${median(pairs.map(([v, o]) => cost(v) / cost(o))).toFixed(2)} (${pairs.map(([v, o]) => (cost(v) / cost(o)).toFixed(2)).join(', ')}); ` +
            `server CPU per request ${median(pairs.map(([v, o]) => (v.cpuPerRequest.server - o.cpuPerRequest.server) * 1000)).toFixed(1)} µs, backends ${median(pairs.map(([v, o]) => (v.cpuPerRequest.postgres - o.cpuPerRequest.postgres) * 1000)).toFixed(1)} µs (median differences)`,
        );
      }
    }
    out();
    out('PostgreSQL backend CPU per request by pool (medians, ms): ' + servers.map((server) => {
      const mine = summaryRuns.filter((r) => r.label === server.label);
      return `${server.label}: ` + server.appNames.map((app) => `${app.replace(schemaPrefix, '')} ${median(mine.map((r) => r.postgresByApp[app] ?? 0)).toFixed(3)}`).join(', ');
    }).join('; '));
    out();
    out(`call log: ${variants.map((v, i) => `${v.label} ${fmt(callRows[i]!)} rows written, ${String(adapterStats[i]?.callLogDropped ?? '?')} dropped`).join('; ')} (every call is logged, warm-ups included)`);
    const failures = runs.filter((r) => Object.keys(r.load.failures).length > 0);
    for (const r of failures) out(`failures ${r.label} round ${r.round}: ${JSON.stringify(r.load.failures)}${r.load.sampleFailure ? ` e.g. ${r.load.sampleFailure}` : ''}`);
    console.log(lines.join('\n'));

    if (values['cpu-prof']) {
      console.log('\nCPU profiles (inspector sampling at 1 ms, scoped to each server\'s round-1 measurement):');
      const profiled = runs.filter((r) => r.profile);
      for (const run of profiled) console.log(`\n${formatSummary(`${run.label} — ${run.profile} (${fmt(run.load.requests)} requests)`, summariseProfile(run.profile!, 25))}`);
      console.log('\nWhere the CPU went, µs per request (profiler on; the call log rows are its off-request batch INSERTs):\n');
      console.log(formatBreakdowns(profiled.map((r) => ({ label: r.label, file: r.profile!, requests: r.load.requests })), variants.map((v) => v.src)));
    }
  } finally {
    await cleanup();
  }
}

// ============================================================================ profile breakdown

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

const NPM = (names: string) => new RegExp(`node_modules/(?:\\.pnpm/[^/]+/node_modules/)?(?:${names})/`);
/** Owners of CPU time: a sample is charged to the nearest frame up its stack that one of these claims (so a socket write counts for whoever wrote). */
const OWNERS: Array<[RegExp, string | ((m: RegExpExecArray) => string)]> = [
  [NPM('pino|@pinojs/[^/]+|pino-std-serializers|sonic-boom|fast-redact'), 'pino (request child loggers)'],
  [NPM('pg|pg-protocol|pg-pool|pg-types|pg-cursor|postgres-[a-z-]+'), 'pg driver (incl. its socket writes)'],
  [NPM('kysely'), 'kysely'],
  [NPM('zod|fastify-type-provider-zod'), 'zod'],
  [NPM('fastify|find-my-way|@fastify/[^/]+|fast-json-stringify|light-my-request|avvio|fast-querystring|fast-decode-uri-component|toad-cache|rfdc|secure-json-parse|process-warning'), 'fastify (routing, hooks, reply; incl. its response writes)'],
  [/\/packages\/([^/]+)\/src\//, (m) => `@jplink/${m[1]}`],
  [/scripts\/bench\/adapter-get-by-key\.ts/, 'baseline handler (this script)'],
  [/^node:_http_/, 'node:http (request parsing, response writes)'],
];

function ownerOf(url: string, adapterSrcs: readonly string[]): string | undefined {
  const path = url.replace(/^file:\/\//, '');
  for (const src of adapterSrcs) if (path.startsWith(`${src}/`)) return `adapter ${path.slice(src.length + 1)}`;
  for (const [pattern, label] of OWNERS) {
    const m = pattern.exec(url);
    if (m) return typeof label === 'string' ? label : label(m);
  }
  return undefined;
}

/** µs of CPU per request by owner (call-log work, wherever it runs, kept apart), and the busy total. */
function profileBreakdown(file: string, requests: number, adapterSrcs: readonly string[]): { busyUsPerRequest: number; parts: Map<string, number> } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, profile.timeDeltas[i + 1] ?? 0));
  const parts = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const leaf = byId.get(id)!.callFrame;
    if (leaf.functionName === '(idle)') continue;
    busy += us;
    let owner: string | undefined;
    let callLog = false;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url } = byId.get(at)!.callFrame;
      owner ??= ownerOf(url, adapterSrcs);
      if (url.endsWith('/call-log.ts') && adapterSrcs.some((src) => url.includes(`${src}/`))) callLog = true;
    }
    if (leaf.functionName === '(garbage collector)') owner = 'garbage collector';
    else if (leaf.functionName === '(program)') owner = 'V8 (program)';
    owner ??= /^(writev|writeBuffer|writeUtf8String|writeLatin1String)$/.test(leaf.functionName) ? 'socket writes (no owner on the stack)' : 'node internals / natives (timers, streams, microtasks)';
    const label = callLog ? `call log › ${owner}` : owner;
    parts.set(label, (parts.get(label) ?? 0) + us / requests);
  }
  return { busyUsPerRequest: busy / requests, parts };
}

/** Side by side, µs of CPU per request: where each server's busy time went. */
function formatBreakdowns(runs: Array<{ label: string; file: string; requests: number }>, adapterSrcs: readonly string[]): string {
  const data = runs.map((r) => ({ ...r, ...profileBreakdown(r.file, r.requests, adapterSrcs) }));
  const labels = [...new Set(data.flatMap((d) => [...d.parts.keys()]))];
  // The difference column: the first Adapter Server (ours) minus the baseline.
  const [a, b] = [data[0]!, data[1] ?? data[0]!];
  labels.sort((x, y) => (b.parts.get(y) ?? 0) - (b.parts.get(x) ?? 0));
  const diff = data.length > 1;
  const rows = [
    `| owner (sample charged to the nearest claiming frame up its stack) | ${data.map((d) => `${d.label} µs/req`).join(' | ')} |${diff ? ` ${b.label} − ${a.label} |` : ''}`,
    `|---|${data.map(() => '---:').join('|')}|${diff ? '---:|' : ''}`,
  ];
  for (const label of labels) {
    const v = data.map((d) => d.parts.get(label) ?? 0);
    if (v.every((x) => x < 0.5)) continue;
    rows.push(`| ${label} | ${v.map((x) => x.toFixed(1)).join(' | ')} |${diff ? ` ${(v[1]! - v[0]!).toFixed(1)} |` : ''}`);
  }
  const busy = data.map((d) => d.busyUsPerRequest);
  rows.push(`| **busy total (profiler on)** | ${busy.map((x) => x.toFixed(1)).join(' | ')} |${diff ? ` ${(busy[1]! - busy[0]!).toFixed(1)} |` : ''}`);
  return rows.join('\n');
}

// ========================================================================================= main

const childInput = process.env.ADAPTER_BENCH_CHILD;
if (process.argv.includes('--child') && childInput) {
  await runChild(JSON.parse(childInput) as ChildInput);
} else {
  try {
    await runParent();
  } catch (error) {
    process.exitCode = 1;
    process.stderr.write(`\nbenchmark failed: ${(error as Error).stack ?? String(error)}\n`);
    for (const child of runningChildren()) process.stderr.write(`\n--- last lines of ${child.name} (${child.logFile}) ---\n${tail(child.logFile, 15)}\n`);
  }
}
