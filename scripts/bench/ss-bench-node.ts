// Child process of security-server-exchange.ts: ONE Security Server in its own process (so that
// its memory and CPU can be measured alone), on PostgreSQL, enrolled at the benchmark's Center with
// its one client subsystem. services/security-server/src/server.ts only enrols clients already in
// its database; this entry adds the client first (as test/helpers/network.ts does), enrols, listens.
// Input: BENCH_CHILD = {"serverId","subsystem","anchor","databaseUrl","schema","dataDir","logBodies"?}
// Ready line: {"ready":true,"ports":{isHttp,isHttps,exchange,ocsp,admin}}
// Commands: wait-client {server, subsystem} (refreshes the global configuration until `server`
// hosts `subsystem`), provide {subsystem, serviceCode, url, consumer} (a service and an access
// right through the configuration API), stats, profile-start, profile-stop {file}.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { openDatabase } from '@jplink/db';
import { createLogger } from '@jplink/kit';
import { freePort } from '@jplink/testing';
import { createSecurityServer, securityServerConfigSchema, type SecurityServerTables } from '@jplink/security-server';
import { emit, serveCommands } from './ss-bench-common.ts';

interface Input {
  serverId: string;
  subsystem: string;
  anchor: string;
  databaseUrl: string;
  schema: string;
  dataDir: string;
  logLevel?: string;
  /** Timestamping and archiving intervals in seconds (absent: a day and a week, i.e. off for the run). */
  timestampInterval?: number;
  archiveInterval?: number;
  /** SS_LOG_COMMIT_DELAY_MS (absent: the server's default). */
  logCommitDelayMs?: number;
}
const input = JSON.parse(process.env.BENCH_CHILD ?? '{}') as Input;

const logger = createLogger({ name: `bench-ss-${input.serverId.split('/').pop()}`, level: input.logLevel ?? 'warn', destination: process.stderr });
const wanted = { isHttp: await freePort(), isHttps: await freePort(), exchange: await freePort(), ocsp: await freePort(), admin: await freePort() };
const config = securityServerConfigSchema.parse({
  JPLINK_MODE: 'development',
  SS_ID: input.serverId,
  SS_DATA_DIR: input.dataDir,
  SS_DATABASE_URL: input.databaseUrl,
  SS_DATABASE_SCHEMA: input.schema,
  SS_ANCHOR_FILE: input.anchor,
  SS_KEY_PASSPHRASE_FILE: join(input.dataDir, 'unused'),
  SS_PUBLIC_ADDRESS: '127.0.0.1',
  SS_HOST: '127.0.0.1',
  SS_IS_HTTP_PORT: String(wanted.isHttp),
  SS_IS_HTTPS_PORT: String(wanted.isHttps),
  SS_EXCHANGE_PORT: String(wanted.exchange),
  SS_OCSP_PORT: String(wanted.ocsp),
  SS_ADMIN_PORT: String(wanted.admin),
  SS_LOG_LEVEL: input.logLevel ?? 'warn',
  SS_TIMESTAMPING_INTERVAL_SECONDS: String(input.timestampInterval ?? 86_400),
  SS_ARCHIVE_INTERVAL_SECONDS: String(input.archiveInterval ?? 7 * 86_400),
  ...(input.logCommitDelayMs !== undefined ? { SS_LOG_COMMIT_DELAY_MS: String(input.logCommitDelayMs) } : {}),
  // Defaults otherwise: message bodies logged (SS_LOG_BODIES=true), EC-P256 keys.
});
// Default pool (10 connections), as server.ts opens it.
const database = await openDatabase<SecurityServerTables>({ url: input.databaseUrl, schema: config.SS_DATABASE_SCHEMA, logger });
const ss = await createSecurityServer(config, { database, logger, passphrase: 'security-server-bench-passphrase' });
// The local client (what db/server-conf.ts upsertClient does; that module is not exported).
await database.db
  .insertInto('clients')
  .values({ subsystem: input.subsystem, connection_type: 'http' })
  .onConflict((oc) => oc.column('subsystem').doUpdateSet({ connection_type: 'http' }))
  .execute();
await ss.context.serverConf.reload();
await ss.enrol({ clients: [input.subsystem], waitSeconds: 60, onProgress: (step) => logger.info(step) });
const ports = await ss.listen();
const adminKey = (await readFile(ss.files.adminApiKey, 'utf8')).trim();

async function adminCall(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${ports.admin}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`configuration API ${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

let profiler: Session | undefined;

// Event-loop health: delay histogram and utilisation, reset by `stats` {reset: true}.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let eluMark = performance.eventLoopUtilization();

// Optional stage timing (BENCH_TRACE=1): wraps the proxy context's collaborators on this instance
// (the proxies call them through ctx.*), counting calls and the time until each promise settles.
// Diagnostic only; it adds a little overhead per call.
type StageStats = { calls: number; totalMs: number; maxMs: number };
const stages = new Map<string, StageStats>();
function trace<T extends object>(target: T, method: keyof T & string, stage: string): void {
  const original = (target[method] as unknown as (...args: unknown[]) => unknown).bind(target);
  (target as Record<string, unknown>)[method] = (...args: unknown[]) => {
    const started = performance.now();
    const record = () => {
      const ms = performance.now() - started;
      const s = stages.get(stage) ?? { calls: 0, totalMs: 0, maxMs: 0 };
      s.calls += 1;
      s.totalMs += ms;
      s.maxMs = Math.max(s.maxMs, ms);
      stages.set(stage, s);
    };
    const result = original(...args);
    if (result instanceof Promise) return result.finally(record);
    record();
    return result;
  };
}
if (process.env.BENCH_TRACE === '1') {
  const ctx = ss.context;
  trace(ctx.log, 'append', 'message log append (until committed)');
  trace(ctx.signers, 'sign', 'batch sign (until envelope)');
  trace(ctx.peers, 'send', 'peer send (client side: until response read)');
  trace(ctx.backend, 'call', 'backend call');
  trace(ctx.verifier, 'verifyAuthCertificate', 'verify auth certificate');
  trace(ctx.verifier, 'verifySignerCertificate', 'verify signer certificate');
  trace(ctx.verifier, 'fetchPeerOcsp', 'fetch peer OCSP');
}

let evidenceTimers: NodeJS.Timeout[] = [];

serveCommands(
  async (command) => {
    switch (command.cmd) {
      case 'wait-client': {
        const deadline = Date.now() + 60_000;
        for (;;) {
          await ss.context.conf.refresh().catch(() => undefined);
          try {
            if (ss.context.conf.current('client').isClientOf(String(command.server), String(command.subsystem))) return {};
          } catch {
            // no valid configuration yet
          }
          if (Date.now() > deadline) throw new Error(`the global configuration does not show ${String(command.subsystem)} on ${String(command.server)}`);
          await sleep(500);
        }
      }
      case 'provide': {
        const client = String(command.subsystem).replaceAll('/', ':');
        const services = `/api/v1/clients/${client}/services`;
        await adminCall('POST', services, { serviceCode: command.serviceCode, url: command.url, timeoutSeconds: 30 });
        await adminCall('POST', `${services}/${String(command.serviceCode)}/access-rights/grant`, { subject: { kind: 'subsystem', id: command.consumer } });
        return {};
      }
      case 'stats': {
        const elu = performance.eventLoopUtilization(eluMark);
        // The histogram holds intervals between 10 ms timer ticks: lateness is the excess over 10 ms.
        const late = (ns: number) => Math.max(0, ns / 1e6 - 10);
        const loop = { utilisation: elu.utilization, delayP50ms: late(loopDelay.percentile(50)), delayP99ms: late(loopDelay.percentile(99)), delayMaxMs: late(loopDelay.max) };
        const traced = Object.fromEntries([...stages].map(([k, v]) => [k, { calls: v.calls, meanMs: v.totalMs / v.calls, maxMs: v.maxMs }]));
        if (command.reset) {
          loopDelay.reset();
          eluMark = performance.eventLoopUtilization();
          stages.clear();
        }
        return {
          loop,
          stages: traced,
          signers: ss.context.signers.stats(),
          messageLog: ss.context.log.stats(),
          evidence: { timestamps: ss.timestamper.status().timestamps, unstampedRecords: ss.timestamper.status().unstampedRecords, archiving: ss.archiver.status() },
          verifierCaches: ss.context.verifier.stats(),
          status: await adminCall('GET', '/api/v1/status'),
          memory: process.memoryUsage(),
        };
      }
      // Timestamping and archiving driven at the given intervals (seconds) from here, with the
      // server's own functions (the ones its timers call), or stopped: lets one benchmark run
      // measure the same servers with evidence off and on (--evidence-compare).
      case 'evidence': {
        for (const timer of evidenceTimers) clearInterval(timer);
        evidenceTimers = [];
        if (command.on) {
          const every = (seconds: unknown, work: () => Promise<unknown>) => {
            let busy = false;
            return setInterval(() => {
              if (busy) return;
              busy = true;
              void work()
                .catch((error: unknown) => process.stderr.write(`evidence work failed: ${(error as Error).message}\n`))
                .finally(() => {
                  busy = false;
                });
            }, Number(seconds) * 1000);
          };
          evidenceTimers = [every(command.timestampSeconds, () => ss.timestamper.stampNow()), every(command.archiveSeconds, () => ss.archiver.archiveNow())];
        }
        return {};
      }
      case 'profile-start':
        profiler = new Session();
        profiler.connect();
        await profiler.post('Profiler.enable');
        await profiler.post('Profiler.setSamplingInterval', { interval: 1000 }); // µs, as --cpu-prof
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
    // The signer statistics of the whole run, for the log.
    process.stderr.write(`[bench ss ${input.serverId}] final signer stats ${JSON.stringify(ss.context.signers.stats())} message log ${JSON.stringify(ss.context.log.stats())}\n`);
    await ss.close();
    await database.db.schema.dropSchema(input.schema).ifExists().cascade().execute().catch(() => undefined);
    await database.close();
  },
);
emit({ ready: true, ports, pid: process.pid });
