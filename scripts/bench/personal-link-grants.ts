// Benchmark: Personal-Link's token endpoint — client-credentials grants/s and refresh-token grants/s,
// per core, against Keycloak's published sizing figure (issue 6: "refresh-token grants/s and
// client-credentials grants/s per core, against Keycloak's published 120/s per vCPU for each; target
// ≥ 600/s per core").
//
// Usage (from the repository root):
//   npx tsx scripts/bench/personal-link-grants.ts [--seconds 10] [--warmup 2] [--rounds 3]
//       [--concurrency 16] [--log-level warn] [--verify-every 100]
//       [--cpu-prof [--profile-dir DIR]] [--keep-temp]
//       [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--pl-src DIR …]
// --concurrency: keep-alive connections of the load generator (grants in flight); for the refresh
//   grants also the number of "user lanes", each with its own refresh token (its own grant).
// --rounds: each round measures both grants one after the other, every other round in reverse order.
// --log-level: Personal-Link's PL_LOG_LEVEL (warn by default, as in the other benchmarks; `info`, the
//   production default, adds two request-log lines per grant, written to a file).
// --pl-src DIR (repeatable): also measure a Personal-Link built from a copy of
//   services/personal-link/src in DIR (A/B of a candidate change in the same run, alternating); DIR's
//   parent needs package.json {"type":"module"} and a node_modules symlink to
//   services/personal-link/node_modules. Prints each one's per-round ratios against ours.
// --cpu-prof: a V8 CPU profile (1 ms sampling, inspector) of the Personal-Link process during each
//   grant's round-1 measurement (that round is left out of the medians when there are others),
//   summarised at the end: where the time goes, by owner and by marker (client lookup, secret
//   opening, JWT signing, adapter queries, account claims).
//
// What runs: Personal-Link (createPersonalLink, as server.ts composes it: its own fresh schema on
// the real PostgreSQL, pool of 10, the dev upstream for sign-in) in a child process; this process
// is the RP and the load generator. The RP is registered through the admin API (confidential,
// client_secret_basic, grant types authorization_code, refresh_token, client_credentials). The
// refresh tokens are obtained the way an RP gets them: one authorization code + PKCE flow per lane
// through the dev upstream's sign-in (scope "openid offline_access", prompt=consent), exactly as
// test/oidc-flows.test.ts does (openid-client v6 + test/helpers.ts signIn). Load: a closed loop over
// N keep-alive raw-socket connections, POST /oidc/token with Authorization: Basic;
//   (a) grant_type=client_credentials&scope=openid (an opaque access token, stored);
//   (b) grant_type=refresh_token&refresh_token=<the lane's current token>: every answer is parsed
//       and its new refresh token (rotation is on) is the lane's next one; every answer must carry
//       access, refresh and ES256 ID token.
// CPU: the Personal-Link process (process.cpuUsage inside it), its own PostgreSQL backends (the pids
// of its pool's sessions by application_name, /proc/<pid>/schedstat), the load generator (this
// process); other PostgreSQL processes and the rest of the machine in cores. SQL per grant: the
// schema's table statistics (pg_stat_user_tables) before and after each load, per grant.
// Per core: grants/s ÷ (server CPU s / wall s), and grants/s ÷ (server + its PostgreSQL backends).
// The schema is dropped at the end (also on Ctrl-C). Not a test: it prints tables.
import { randomBytes } from 'node:crypto';
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
import { cpuSecondsBetween, cpuSecondsByCommand, emit, machineCpuSeconds, REPO_ROOT, runningChildren, serveCommands, spawnChild, stopChild, tail, type BenchChild } from './ss-bench-common.ts';
import { formatSummary, summariseProfile } from './ss-bench-profile.ts';
import { Connection, type Response } from './raw-http-connection.ts';

const PL_PACKAGE = join(REPO_ROOT, 'services/personal-link');
const plRequire = createRequire(join(PL_PACKAGE, 'package.json'));
type PgPool = Database['pool'];
const pg = plRequire('pg') as { Pool: new (config: Record<string, unknown>) => PgPool };

/** Keycloak's HA sizing guide: 120 refresh-token grants/s and 120 client-credentials grants/s per vCPU. */
const KEYCLOAK_PER_VCPU = 120;
const TARGET_PER_CORE = 600;
const REDIRECT = 'http://127.0.0.1:9/rp/callback';

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
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : Number.NaN;
};

// =================================================================================== child side

interface ChildInput {
  /** The Personal-Link source directory (services/personal-link/src, or a copy for an A/B). */
  src: string;
  databaseUrl: string;
  schema: string;
  dataDir: string;
  logLevel: string;
}

async function runChild(input: ChildInput): Promise<void> {
  const [{ openDatabase }, { createLogger }, { freePort }, { plConfigSchema }, { createPersonalLink }, { startDevUpstream }] = await Promise.all([
    import('@jplink/db'),
    import('@jplink/kit'),
    import('@jplink/testing'),
    import(pathToFileURL(join(input.src, 'config.ts')).href),
    import(pathToFileURL(join(input.src, 'personal-link.ts')).href),
    import(pathToFileURL(join(input.src, 'dev-upstream.ts')).href),
  ]);
  await mkdir(input.dataDir, { recursive: true });
  const port = await freePort();
  const adminPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const dev = await startDevUpstream({ personalLinkBase: baseUrl });
  const config = plConfigSchema.parse({
    JPLINK_MODE: 'development',
    PL_DATA_DIR: input.dataDir,
    PL_SECRET_FILE: join(input.dataDir, 'unused'),
    PL_DATABASE_URL: input.databaseUrl,
    PL_DATABASE_SCHEMA: input.schema,
    PL_ISSUER: `${baseUrl}/oidc`,
    PL_HOST: '127.0.0.1',
    PL_PORT: String(port),
    PL_ADMIN_PORT: String(adminPort),
    PL_LOG_LEVEL: input.logLevel,
    PL_ALLOW_PRIVATE_NETWORK: 'true',
  });
  const logger = createLogger({ name: 'personal-link', level: config.PL_LOG_LEVEL, destination: process.stderr });
  // As server.ts opens it (default pool of 10, application_name jplink-<schema>).
  const database = await openDatabase({ url: input.databaseUrl, schema: input.schema, logger });
  const pl = await createPersonalLink(config, { database, logger, passphrase: 'personal-link-bench-passphrase', extraUpstreams: dev.upstreams });
  const bound = await pl.listen();
  const adminKey = (await readFile(pl.files.adminApiKey, 'utf8')).trim();
  let profiler: Session | undefined;
  let elu = performance.eventLoopUtilization();
  serveCommands(
    async (command) => {
      switch (command.cmd) {
        case 'cpu': {
          const usage = process.cpuUsage();
          const now = performance.eventLoopUtilization();
          const delta = performance.eventLoopUtilization(now, elu);
          elu = now;
          return { cpuSeconds: (usage.user + usage.system) / 1e6, loopUtilisation: delta.utilization, rssMb: process.memoryUsage().rss / 1048576 };
        }
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
    },
    async () => {
      await pl.close();
      await dev.close();
      await database.pool.query(`drop schema if exists ${quoteId(input.schema)} cascade`).catch(() => {});
      await database.close();
    },
  );
  emit({ ready: true, port, adminPort: bound.admin, adminKey, issuer: config.PL_ISSUER });
}

// ============================================================================ load generator


type Grant = 'client_credentials' | 'refresh_token';

interface LoadResult {
  grants: number;
  /** Every grant answered with 200 during the whole load (warm-up and tail included), for the SQL counts. */
  allGrants: number;
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
  grant: Grant;
  port: number;
  authorization: string;
  /** refresh_token: one current refresh token per connection (updated in place on rotation). */
  lanes: string[];
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  verifyEvery: number;
  onMeasureStart: () => void | Promise<void>;
  onMeasureEnd: () => void | Promise<void>;
}

async function generateLoad(options: LoadOptions): Promise<LoadResult> {
  const head = `POST /oidc/token HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nAuthorization: ${options.authorization}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nContent-Length: `;
  const request = (body: string) => `${head}${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const ccRequest = request('grant_type=client_credentials&scope=openid');
  const latencies: number[] = [];
  const failures: Record<string, number> = {};
  let sampleFailure: string | undefined;
  let completed = 0;
  let all = 0;
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
  const worker = async (lane: number) => {
    const connection = new Connection(options.port);
    while (!stopping) {
      const n = ++sequence;
      const refresh = options.grant === 'refresh_token';
      const bytesOut = refresh ? request(`grant_type=refresh_token&refresh_token=${encodeURIComponent(options.lanes[lane]!)}`) : ccRequest;
      const t0 = performance.now();
      let response: Response;
      try {
        response = await connection.request(bytesOut);
      } catch (error) {
        fail('connection error', (error as Error).message);
        if (refresh) return; // the rotated token may be lost: the lane ends
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      const t1 = performance.now();
      if (response.status !== 200) {
        fail(`HTTP ${response.status}`, response.body.toString('utf8'));
        if (refresh) return; // an unusable refresh token: the lane ends
        continue;
      }
      if (refresh || n % options.verifyEvery === 0) {
        let tokens: { access_token?: unknown; refresh_token?: unknown; id_token?: unknown; token_type?: unknown };
        try {
          tokens = JSON.parse(response.body.toString('utf8'));
        } catch {
          fail('body is not JSON', response.body.toString('utf8'));
          if (refresh) return;
          continue;
        }
        if (typeof tokens.access_token !== 'string' || String(tokens.token_type).toLowerCase() !== 'bearer') {
          fail('no access token', response.body.toString('utf8'));
          continue;
        }
        if (refresh) {
          if (typeof tokens.refresh_token !== 'string' || tokens.refresh_token === options.lanes[lane] || typeof tokens.id_token !== 'string') {
            fail('no rotated refresh token or no ID token', response.body.toString('utf8'));
            return;
          }
          options.lanes[lane] = tokens.refresh_token;
          if (n % options.verifyEvery === 0) {
            const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0]!, 'base64url').toString('utf8')) as { alg?: string };
            if (header.alg !== 'ES256') fail(`ID token alg ${header.alg}`);
            else if (measuring) verified += 1;
          }
        } else if (measuring) verified += 1;
      }
      all += 1;
      if (measuring) {
        completed += 1;
        bytes += response.body.length;
        latencies.push(t1 - t0);
      }
    }
    connection.close();
  };
  const workers = Array.from({ length: options.concurrency }, (_, lane) => worker(lane));
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
    grants: completed,
    allGrants: all,
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
      'log-level': { type: 'string', default: 'warn' },
      'verify-every': { type: 'string', default: '100' },
      'cpu-prof': { type: 'boolean', default: false },
      'profile-dir': { type: 'string' },
      'database-url': { type: 'string', default: process.env.JPLINK_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
      'keep-temp': { type: 'boolean', default: false },
      'pl-src': { type: 'string', multiple: true },
    },
  });
  const seconds = Number(values.seconds);
  const warmup = Number(values.warmup);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const verifyEvery = Number(values['verify-every']);
  for (const [name, n] of Object.entries({ seconds, warmup, rounds, concurrency, 'verify-every': verifyEvery })) {
    if (!Number.isFinite(n) || n < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} must be a positive number`);
  }
  const databaseUrl = values['database-url'];
  const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const schemaPrefix = `plbench_${runId}_`;
  const variants: Array<{ label: string; src: string }> = [
    { label: 'ours', src: join(PL_PACKAGE, 'src') },
    ...(values['pl-src'] ?? []).map((dir, i) => ({ label: `ours:${basename(resolve(dir, '..'))}${values['pl-src']!.length > 1 ? `#${i + 1}` : ''}`, src: resolve(dir) })),
  ];
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  admin.on('error', () => {});

  let tempRoot: string | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.all(runningChildren().map((child) => stopChild(child)));
      // The children drop their schemas on a clean stop; this catches the rest.
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
    const settings = (await admin.query<{ name: string; setting: string }>("select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'shared_buffers')")).rows;
    const pgFacts = settings.map((s) => `${s.name}=${s.setting}`).join(', ');
    tempRoot = await mkdtemp(join(tmpdir(), 'jplink-pl-grants-bench-'));
    const profileDir = values['profile-dir'] ?? join(tempRoot, 'profiles');
    if (values['cpu-prof']) await mkdir(profileDir, { recursive: true });

    const idle0 = machineCpuSeconds();
    await new Promise((r) => setTimeout(r, 2000));
    const idle1 = machineCpuSeconds();
    const backgroundCores = ((idle1.busy - idle0.busy) / (idle1.total - idle0.total)) * cpus().length;
    log(`background load before start: ${backgroundCores.toFixed(2)} of ${cpus().length} cores busy`);

    const client = (await import(pathToFileURL(plRequire.resolve('openid-client')).href)) as typeof import('../../services/personal-link/node_modules/openid-client/build/index.js');
    const { HttpBrowser } = (await import(pathToFileURL(join(PL_PACKAGE, 'src/testing.ts')).href)) as typeof import('../../services/personal-link/src/testing.ts');
    const { signIn } = (await import(pathToFileURL(join(PL_PACKAGE, 'test/helpers.ts')).href)) as typeof import('../../services/personal-link/test/helpers.ts');

    interface Target {
      label: string;
      child: BenchChild;
      port: number;
      schema: string;
      appName: string;
      authorization: string;
      /** The current refresh token of each lane. */
      lanes: string[];
    }
    const targets: Target[] = [];
    for (const [index, variant] of variants.entries()) {
      const schema = `${schemaPrefix}${index}`;
      log(`starting Personal-Link ${variant.label} (${variant.src}, schema ${schema})`);
      const child = await spawnChild({
        name: `personal-link-${index}`,
        script: 'scripts/bench/personal-link-grants.ts',
        args: ['--child'],
        logFile: join(tempRoot, `personal-link-${index}.log`),
        env: { PL_BENCH_CHILD: JSON.stringify({ src: variant.src, databaseUrl, schema, dataDir: join(tempRoot, `pl-data-${index}`), logLevel: values['log-level'] } satisfies ChildInput) },
      });
      // The RP, registered as an operator does (admin API).
      const registration = await fetch(`http://127.0.0.1:${child.ready.adminPort as number}/api/v1/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${child.ready.adminKey as string}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          clientId: 'bench-rp',
          memberSubsystem: 'JP-BENCH/COM/1234567890123/rp',
          displayName: { ja: 'ベンチRP', en: 'Bench RP' },
          redirectUris: [REDIRECT],
          grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
          authMethod: 'client_secret_basic',
        }),
      });
      if (registration.status !== 201) throw new Error(`registering the RP: HTTP ${registration.status} ${await registration.text()}`);
      const registered = (await registration.json()) as { client: { clientId: string }; clientSecret: string };
      const clientId = registered.client.clientId;
      // Refresh tokens the way an RP gets them: code + PKCE through the dev upstream, one per lane.
      const config = await client.discovery(new URL(child.ready.issuer as string), clientId, undefined, client.ClientSecretBasic(registered.clientSecret), { execute: [client.allowInsecureRequests] });
      const users = ['hanako', 'taro'];
      const codeFlow = async (i: number): Promise<string> => {
        const verifier = client.randomPKCECodeVerifier();
        const state = client.randomState();
        const nonce = client.randomNonce();
        const url = client.buildAuthorizationUrl(config, {
          redirect_uri: REDIRECT,
          scope: 'openid offline_access',
          prompt: 'consent',
          code_challenge: await client.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          nonce,
        });
        const callback = await signIn(new HttpBrowser(), url, REDIRECT, { user: users[i % users.length]! });
        const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
        if (!tokens.refresh_token) throw new Error('the code flow gave no refresh token');
        return tokens.refresh_token;
      };
      const flowStart = performance.now();
      const lanes: string[] = [];
      for (let i = 0; i < concurrency; i += 4) lanes.push(...(await Promise.all(Array.from({ length: Math.min(4, concurrency - i) }, (_, j) => codeFlow(i + j)))));
      log(`${variant.label}: ${lanes.length} refresh tokens from ${lanes.length} code + PKCE sign-ins in ${((performance.now() - flowStart) / 1000).toFixed(1)} s`);
      targets.push({
        label: variant.label,
        child,
        port: child.ready.port as number,
        schema,
        appName: `jplink-${schema}`,
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(registered.clientSecret)}`).toString('base64')}`,
        lanes,
      });
    }

    const tableStats = async (target: Target) => {
      // Statistics reach pg_stat_* within about a second of the sessions going idle.
      await new Promise((r) => setTimeout(r, 1200));
      const { rows } = await admin.query<{ relname: string; idx_scan: string | null; seq_scan: string; n_tup_ins: string; n_tup_upd: string; n_tup_del: string }>(
        'select relname, idx_scan, seq_scan, n_tup_ins, n_tup_upd, n_tup_del from pg_stat_user_tables where schemaname = $1',
        [target.schema],
      );
      return new Map(rows.map((r) => [r.relname, { scans: Number(r.idx_scan ?? 0) + Number(r.seq_scan), ins: Number(r.n_tup_ins), upd: Number(r.n_tup_upd), del: Number(r.n_tup_del) }]));
    };
    const backends = async (target: Target) => {
      const { rows } = await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [target.appName]);
      return new Map(rows.map((r) => [r.pid, onCpuSeconds(r.pid)]));
    };

    interface Run {
      label: string;
      grant: Grant;
      round: number;
      load: LoadResult;
      /** CPU seconds per grant (ms). */
      cpuPerGrant: { server: number; postgres: number; generator: number };
      cores: { server: number; postgres: number; postgresRest: number; generator: number; other: number };
      loopUtilisation: number;
      rssMb: number;
      /** Table rows touched and scans per grant, by table (whole load: warm-up + measured + tail). */
      sql: Map<string, { scans: number; ins: number; upd: number; del: number }>;
      profile?: string;
    }
    const measure = async (target: Target, grant: Grant, round: number, opts: { warmupSeconds: number; seconds: number; profile: boolean }): Promise<Run> => {
      type Snapshot = { server: number; backends: Map<number, number>; postgres: Map<number, number>; generator: NodeJS.CpuUsage; machine: { busy: number; total: number }; wall: number };
      let start: Snapshot | undefined;
      let end: Snapshot | undefined;
      let loopUtilisation = Number.NaN;
      let rssMb = Number.NaN;
      const { child } = target;
      const profileFile = join(profileDir, `${target.label.replace(/[^a-z0-9#-]/gi, '_')}-${grant}-r${round}.cpuprofile`);
      const statsBefore = await tableStats(target);
      const snapshot = async (): Promise<Snapshot> => {
        const cpu = await child.command('cpu');
        loopUtilisation = cpu.loopUtilisation as number;
        rssMb = cpu.rssMb as number;
        return { server: cpu.cpuSeconds as number, backends: await backends(target), postgres: cpuSecondsByCommand('postgres'), generator: process.cpuUsage(), machine: machineCpuSeconds(), wall: performance.now() };
      };
      const load = await generateLoad({
        grant,
        port: target.port,
        authorization: target.authorization,
        lanes: target.lanes,
        concurrency,
        warmupSeconds: opts.warmupSeconds,
        seconds: opts.seconds,
        verifyEvery,
        onMeasureStart: async () => {
          if (opts.profile) await child.command('profile-start');
          start = await snapshot();
        },
        onMeasureEnd: async () => {
          end = await snapshot();
          if (opts.profile) await child.command('profile-stop', { file: profileFile });
        },
      });
      const statsAfter = await tableStats(target);
      const sql = new Map<string, { scans: number; ins: number; upd: number; del: number }>();
      for (const [table, after] of statsAfter) {
        const before = statsBefore.get(table) ?? { scans: 0, ins: 0, upd: 0, del: 0 };
        const per = (k: keyof typeof after) => (after[k] - before[k]) / Math.max(1, load.allGrants);
        const row = { scans: per('scans'), ins: per('ins'), upd: per('upd'), del: per('del') };
        if (row.scans + row.ins + row.upd + row.del > 0.005) sql.set(table, row);
      }
      const wall = (end!.wall - start!.wall) / 1000;
      const serverSeconds = end!.server - start!.server;
      let postgresSeconds = 0;
      for (const [pid, s] of end!.backends) postgresSeconds += s - (start!.backends.get(pid) ?? s);
      const postgresAllSeconds = cpuSecondsBetween(start!.postgres, end!.postgres);
      const g = process.cpuUsage(start!.generator);
      const generatorSeconds = (g.user + g.system) / 1e6;
      const machineCores = ((end!.machine.busy - start!.machine.busy) / (end!.machine.total - start!.machine.total)) * cpus().length;
      const per = (s: number) => (s / load.grants) * 1000;
      return {
        label: target.label,
        grant,
        round,
        load,
        cpuPerGrant: { server: per(serverSeconds), postgres: per(postgresSeconds), generator: per(generatorSeconds) },
        cores: {
          server: serverSeconds / wall,
          postgres: postgresSeconds / wall,
          postgresRest: Math.max(0, postgresAllSeconds - postgresSeconds) / wall,
          generator: generatorSeconds / wall,
          other: Math.max(0, machineCores - (serverSeconds + Math.max(postgresAllSeconds, postgresSeconds) + generatorSeconds) / wall),
        },
        loopUtilisation,
        rssMb,
        sql,
        ...(opts.profile ? { profile: profileFile } : {}),
      };
    };

    const grants: Grant[] = ['client_credentials', 'refresh_token'];
    for (const target of targets) {
      for (const grant of grants) {
        log(`warming up ${target.label} ${grant}`);
        await measure(target, grant, 0, { warmupSeconds: 0, seconds: Math.max(3, warmup), profile: false });
      }
    }
    const runs: Run[] = [];
    const perCore = (r: Run) => r.load.perSecond / r.cores.server;
    const perCoreWithPg = (r: Run) => r.load.perSecond / (r.cores.server + r.cores.postgres);
    for (let round = 1; round <= rounds; round++) {
      // Every other round in reverse order (grants and variants): drift and position effects cancel over round pairs.
      const order = grants.flatMap((grant) => targets.map((target) => [target, grant] as const));
      for (const [target, grant] of round % 2 === 1 ? order : [...order].reverse()) {
        const run = await measure(target, grant, round, { warmupSeconds: warmup, seconds, profile: values['cpu-prof'] && round === 1 });
        runs.push(run);
        const l = run.load;
        log(
          `round ${round} ${target.label} ${grant.padEnd(18)}: ${fmt(l.perSecond)} grants/s, p50 ${fmt(l.p50ms, 2)} ms, p99 ${fmt(l.p99ms, 2)} ms, CPU/grant server ${run.cpuPerGrant.server.toFixed(3)} ms + its pg ${run.cpuPerGrant.postgres.toFixed(3)} ms, server ${run.cores.server.toFixed(2)} cores → ${fmt(perCore(run))}/s per core (${fmt(perCoreWithPg(run))} with its PostgreSQL), other load ${(run.cores.postgresRest + run.cores.other).toFixed(2)} cores, failed ${l.failed}${l.sampleFailure ? ` (e.g. ${l.sampleFailure})` : ''}`,
        );
      }
    }

    // ------------------------------------------------------------------------------ report
    const lines: string[] = [];
    const out = (text = '') => lines.push(text);
    const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
    out(`JP-Link Personal-Link token endpoint benchmark — ${new Date().toISOString()}`);
    out(`machine: ${cpus().length} × ${cpuModel}, Node ${process.version}, PostgreSQL ${version} (${pgFacts}) at ${new URL(databaseUrl).host}; every process shares the cores (no pinning)`);
    out(`background load before start: ${backgroundCores.toFixed(2)} of ${cpus().length} cores busy${values['cpu-prof'] ? '; CPU PROFILER ON in Personal-Link during round 1 (its throughput is lower)' : ''}`);
    out(
      `load: closed loop, ${concurrency} keep-alive connections from this process (the RP), POST /oidc/token with client_secret_basic; refresh: ${concurrency} lanes, each its own grant from a code + PKCE sign-in, every answer's rotated refresh token used next; ` +
        `${warmup} s warm-up then ${seconds} s measured per grant type and round, ${rounds} round(s); PL_LOG_LEVEL=${values['log-level']}, ID tokens ES256`,
    );
    out();
    out('| round | PL | grant | grants/s | p50 ms | p99 ms | CPU/grant server ms | CPU/grant its PostgreSQL ms | CPU/grant load gen ms | cores server / its pg / other pg / gen / rest | loop util. | grants/s per server core | grants/s per core (server + its pg) | failed |');
    out('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of runs) {
      const c = r.cores;
      out(
        `| ${r.round}${r.profile ? ' (profiled)' : ''} | ${r.label} | ${r.grant} | ${fmt(r.load.perSecond)} | ${fmt(r.load.p50ms, 2)} | ${fmt(r.load.p99ms, 2)} | ${r.cpuPerGrant.server.toFixed(3)} | ${r.cpuPerGrant.postgres.toFixed(3)} | ${r.cpuPerGrant.generator.toFixed(3)} | ${c.server.toFixed(2)} / ${c.postgres.toFixed(2)} / ${c.postgresRest.toFixed(2)} / ${c.generator.toFixed(2)} / ${c.other.toFixed(2)} | ${r.loopUtilisation.toFixed(2)} | ${fmt(perCore(r))} | ${fmt(perCoreWithPg(r))} | ${r.load.failed} |`,
      );
    }
    out();
    const unprofiled = runs.filter((r) => !r.profile);
    const summaryRuns = unprofiled.length ? unprofiled : runs;
    out(`medians over ${values['cpu-prof'] && rounds > 1 ? 'the unprofiled rounds' : 'the rounds'}; Keycloak reference: ${KEYCLOAK_PER_VCPU}/s per vCPU for each grant (Keycloak HA sizing guide); target ≥ ${TARGET_PER_CORE}/s per core:`);
    for (const target of targets) for (const grant of grants) {
      const mine = summaryRuns.filter((r) => r.grant === grant && r.label === target.label);
      const pc = median(mine.map(perCore));
      const pcPg = median(mine.map(perCoreWithPg));
      out(
        `  ${target.label} ${grant.padEnd(18)} ${fmt(median(mine.map((r) => r.load.perSecond)))} grants/s, p50 ${fmt(median(mine.map((r) => r.load.p50ms)), 2)} ms, p99 ${fmt(median(mine.map((r) => r.load.p99ms)), 2)} ms; ` +
          `CPU/grant server ${median(mine.map((r) => r.cpuPerGrant.server)).toFixed(3)} ms + its PostgreSQL ${median(mine.map((r) => r.cpuPerGrant.postgres)).toFixed(3)} ms; ` +
          `per server core ${fmt(pc)}/s (× ${(pc / KEYCLOAK_PER_VCPU).toFixed(2)} Keycloak; target ${pc >= TARGET_PER_CORE ? 'MET' : 'NOT MET'}), ` +
          `per core of server + its PostgreSQL ${fmt(pcPg)}/s (× ${(pcPg / KEYCLOAK_PER_VCPU).toFixed(2)} Keycloak; target ${pcPg >= TARGET_PER_CORE ? 'MET' : 'NOT MET'})`,
      );
    }
    out();
    out('SQL per grant (pg_stat_user_tables of the schema, whole loads incl. warm-up; index/seq scans, rows inserted / updated / deleted), medians:');
    for (const target of targets) for (const grant of grants) {
      const mine = summaryRuns.filter((r) => r.grant === grant && r.label === target.label);
      const tables = [...new Set(mine.flatMap((r) => [...r.sql.keys()]))].sort();
      const cell = (t: string, k: 'scans' | 'ins' | 'upd' | 'del') => median(mine.map((r) => r.sql.get(t)?.[k] ?? 0)).toFixed(2);
      out(`  ${target.label} ${grant}: ${tables.map((t) => `${t} ${cell(t, 'scans')} scans, ${cell(t, 'ins')} ins, ${cell(t, 'upd')} upd, ${cell(t, 'del')} del`).join('; ') || '(none)'}`);
    }
    if (targets.length > 1) {
      out();
      out('A/B against ours (same rounds; per-round ratios, median):');
      for (const target of targets.slice(1)) for (const grant of grants) {
        const pairs = summaryRuns.filter((r) => r.label === target.label && r.grant === grant).map((r) => [r, summaryRuns.find((o) => o.round === r.round && o.grant === grant && o.label === 'ours')!] as const);
        const cost = (r: Run) => r.cpuPerGrant.server + r.cpuPerGrant.postgres;
        out(
          `  ${target.label} ${grant}: grants/s × ${median(pairs.map(([v, o]) => v.load.perSecond / o.load.perSecond)).toFixed(2)} (${pairs.map(([v, o]) => (v.load.perSecond / o.load.perSecond).toFixed(2)).join(', ')}); ` +
            `server CPU per grant × ${median(pairs.map(([v, o]) => v.cpuPerGrant.server / o.cpuPerGrant.server)).toFixed(2)} (${pairs.map(([v, o]) => (v.cpuPerGrant.server / o.cpuPerGrant.server).toFixed(2)).join(', ')}); ` +
            `server + its PostgreSQL CPU per grant × ${median(pairs.map(([v, o]) => cost(v) / cost(o))).toFixed(2)} (${pairs.map(([v, o]) => (cost(v) / cost(o)).toFixed(2)).join(', ')}); ` +
            `grants/s per server core × ${median(pairs.map(([v, o]) => perCore(v) / perCore(o))).toFixed(2)}`,
        );
      }
    }
    out(`Personal-Link resident memory at its last measurement: ${targets.map((t) => `${t.label} ${fmt(runs.filter((r) => r.label === t.label).at(-1)!.rssMb)} MB`).join(', ')}`);
    for (const r of runs.filter((x) => Object.keys(x.load.failures).length > 0)) out(`failures ${r.grant} round ${r.round}: ${JSON.stringify(r.load.failures)}${r.load.sampleFailure ? ` e.g. ${r.load.sampleFailure}` : ''}`);
    console.log(lines.join('\n'));

    if (values['cpu-prof']) {
      console.log("\nCPU profiles of Personal-Link (inspector sampling at 1 ms, scoped to each grant's round-1 measurement):");
      for (const run of runs.filter((r) => r.profile)) {
        console.log(`\n${formatSummary(`${run.label} ${run.grant} — ${run.profile} (${fmt(run.load.grants)} grants)`, summariseProfile(run.profile!, 25))}`);
        console.log(`\n${formatBreakdown(`${run.label} ${run.grant}`, run.profile!, run.load.grants)}`);
      }
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
/** A sample is charged to the nearest frame up its stack that one of these claims. */
const OWNERS: Array<[RegExp, string | ((m: RegExpExecArray) => string)]> = [
  [NPM('pino|@pinojs/[^/]+|pino-std-serializers|sonic-boom|fast-redact'), 'pino (logging)'],
  [NPM('pg|pg-protocol|pg-pool|pg-types|postgres-[a-z-]+'), 'pg driver (incl. its socket writes)'],
  [NPM('kysely'), 'kysely'],
  [NPM('jose'), 'jose (JWT/JWS)'],
  [NPM('oidc-provider'), 'oidc-provider'],
  [NPM('koa|@koa/[^/]+|koa-compose|co-body|raw-body|http-errors|cookies|keygrip|statuses|on-finished|quick-lru|koa-[a-z-]+|content-type|type-is|iconv-lite|inflation|qs|eta|nanoid|debug|accepts|negotiator|mime-[a-z]+|vary|destroy|delegates|encodeurl|escape-html|fresh|only|parseurl|depd'), 'koa and its helpers'],
  [NPM('zod'), 'zod'],
  [NPM('fastify|find-my-way|@fastify/[^/]+|fast-json-stringify|avvio|fast-querystring|fast-decode-uri-component|toad-cache|rfdc|secure-json-parse|process-warning|light-my-request'), 'fastify + middie'],
  [/\/services\/personal-link\/src\/(.+)$/, (m) => `personal-link ${m[1]}`],
  [/\/packages\/([^/]+)\/src\//, (m) => `@jplink/${m[1]}`],
  [/\/src\/((?:db|oidc|residents|routes|pages|consent|api|links|upstream|reflection)\/[^/]+|personal-link\.ts)$/, (m) => `personal-link ${m[1]} (copy)`],
  [/^node:_http_/, 'node:http'],
];
function ownerOf(url: string): string | undefined {
  for (const [pattern, label] of OWNERS) {
    const m = pattern.exec(url);
    if (m) return typeof label === 'string' ? label : label(m);
  }
  return undefined;
}
/** Inclusive markers: share of samples with a matching frame anywhere on the stack. */
const MARKERS: Array<[string, (f: ProfileNode['callFrame']) => boolean]> = [
  ['client lookup (RpRegistry.metadata: SELECT + openSecret)', (f) => f.functionName === 'metadata' && f.url.includes('/oidc/clients.ts')],
  ['  openSecret (AES-GCM; scrypt key cached)', (f) => f.functionName === 'openSecret'],
  ['  scrypt (key derivation)', (f) => /scrypt/i.test(f.functionName)],
  ['oidc-provider client instance (Client.find / schema / validation)', (f) => f.url.includes('oidc-provider') && /\/models\/client\.js$|\/client_schema\.js$/.test(f.url)],
  ['PgOidcAdapter (all methods)', (f) => f.url.includes('/db/oidc-adapter.ts')],
  ['  PgOidcAdapter.upsert', (f) => f.functionName === 'upsert' && f.url.includes('/db/oidc-adapter.ts')],
  ['  PgOidcAdapter find', (f) => /^(find|findWhere)$/.test(f.functionName) && f.url.includes('/db/oidc-adapter.ts')],
  ['findAccount / Residents.claims', (f) => f.url.includes('/residents/residents.ts')],
  ['JWT signing (jose sign / node:crypto sign)', (f) => (f.url.includes('jose') && /sign/i.test(f.functionName)) || /^(signOneShot|sign)$/.test(f.functionName) && f.url.startsWith('node:')],
  ['ID token (oidc-provider models/id_token.js)', (f) => f.url.includes('oidc-provider') && f.url.endsWith('/models/id_token.js')],
  ['client authentication (token_auth)', (f) => f.url.includes('oidc-provider') && /token_auth|client_auth/.test(f.url)],
  ['body parsing (oidc-provider shared/selective_body)', (f) => f.url.includes('oidc-provider') && f.url.includes('selective_body')],
  ['middie / fastify routing before the provider', (f) => /@fastify\/middie|fastify\/lib\/(route|handle)/.test(f.url)],
  ['pino logging', (f) => /node_modules\/.*pino/.test(f.url)],
  ['garbage collector', (f) => f.functionName === '(garbage collector)'],
];

function formatBreakdown(title: string, file: string, grants: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + Math.max(0, profile.timeDeltas[i + 1] ?? 0));
  const parts = new Map<string, number>();
  const markers = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of selfUs) {
    const leaf = byId.get(id)!.callFrame;
    if (leaf.functionName === '(idle)') continue;
    busy += us;
    let owner: string | undefined;
    const hit = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      owner ??= ownerOf(frame.url);
      for (const [label, test] of MARKERS) if (test(frame)) hit.add(label);
    }
    if (leaf.functionName === '(garbage collector)') owner = 'garbage collector';
    else if (leaf.functionName === '(program)') owner = 'V8 (program)';
    owner ??= 'node internals / natives (timers, streams, microtasks, sockets)';
    parts.set(owner, (parts.get(owner) ?? 0) + us);
    for (const label of hit) markers.set(label, (markers.get(label) ?? 0) + us);
  }
  const rows = [`${title}: busy ${fmt(busy / grants, 0)} µs per grant (profiler on)`, '  by owner (sample charged to the nearest claiming frame up its stack), µs per grant and share of busy:'];
  for (const [label, us] of [...parts].sort((a, b) => b[1] - a[1])) if (us / grants >= 1) rows.push(`    ${fmt(us / grants, 0).padStart(6)} µs  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${label}`);
  rows.push('  by marker (inclusive: samples with the marker anywhere on the stack):');
  for (const [label] of MARKERS) {
    const us = markers.get(label) ?? 0;
    rows.push(`    ${fmt(us / grants, 0).padStart(6)} µs  ${((us / busy) * 100).toFixed(1).padStart(5)} %  ${label}`);
  }
  return rows.join('\n');
}

// ========================================================================================= main

const childInput = process.env.PL_BENCH_CHILD;
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
