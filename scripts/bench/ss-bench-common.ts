// Shared by security-server-exchange.ts and its child processes: the line protocol between the
// parent and a child, child spawning and cleanup, and /proc readers for memory and CPU.
//
// Protocol: a child writes `@bench {json}` lines to stdout (everything else on stdout or stderr is
// log output, kept in a log file). The first such line has `ready: true`. The parent sends commands
// as JSON lines on the child's stdin, `{"id":1,"cmd":"…",…}`; the child answers
// `@bench {"id":1,"ok":true,…}` or `{"id":1,"ok":false,"error":"…"}`. When its stdin closes (the
// parent ended, even by SIGKILL), a child shuts down.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export const PROTOCOL_PREFIX = '@bench ';
export const REPO_ROOT = new URL('../../', import.meta.url).pathname;

// ---------------------------------------------------------------- child side

export function emit(message: Record<string, unknown>): void {
  process.stdout.write(`${PROTOCOL_PREFIX}${JSON.stringify(message)}\n`);
}

export type CommandHandler = (command: Record<string, unknown> & { cmd: string }) => Promise<Record<string, unknown> | void>;

/**
 * Serves commands from stdin; calls `shutdown` once when stdin ends or on SIGTERM/SIGINT, then
 * exits (exit code 0 after a clean shutdown).
 */
export function serveCommands(handler: CommandHandler, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[bench child ${process.pid}] stopping (${why})\n`);
    const hard = setTimeout(() => process.exit(3), 10_000);
    hard.unref();
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[bench child ${process.pid}] shutdown failed: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(2);
      },
    );
  };
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (!line.trim()) return;
    let command: Record<string, unknown> & { cmd: string; id?: number };
    try {
      command = JSON.parse(line);
    } catch {
      return;
    }
    if (command.cmd === 'exit') return stop('exit command');
    handler(command).then(
      (result) => emit({ id: command.id, ok: true, ...(result ?? {}) }),
      (error: unknown) => emit({ id: command.id, ok: false, error: (error as Error).message ?? String(error) }),
    );
  });
  lines.on('close', () => stop('stdin closed'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

// ---------------------------------------------------------------- parent side

export interface BenchChild {
  name: string;
  process: ChildProcess;
  pid: number;
  ready: Record<string, unknown>;
  logFile: string;
  /** Sends a command and waits for its answer (rejects on `ok: false`). */
  command(cmd: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Protocol lines other than answers (e.g. the load generator's phase events). */
  onMessage(listener: (message: Record<string, unknown>) => void): void;
  exited: Promise<number | null>;
}

const running = new Set<BenchChild>();

/** Every child still running (for cleanup). */
export function runningChildren(): BenchChild[] {
  return [...running];
}

export interface SpawnOptions {
  name: string;
  script: string;
  args?: string[];
  env?: Record<string, string>;
  nodeArgs?: string[];
  logFile: string;
  readyTimeoutMs?: number;
}

/** Starts `node --import tsx <script>` (the pid is node's own, so /proc shows its memory) and waits for its ready line. */
export async function spawnChild(options: SpawnOptions): Promise<BenchChild> {
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', options.script, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  child.stderr!.pipe(log, { end: false });
  const listeners: Array<(message: Record<string, unknown>) => void> = [];
  const waiting = new Map<number, { resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let readyResolve: (m: Record<string, unknown>) => void;
  const readyPromise = new Promise<Record<string, unknown>>((resolve) => (readyResolve = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith(PROTOCOL_PREFIX)) {
      log.write(`${line}\n`);
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line.slice(PROTOCOL_PREFIX.length));
    } catch {
      log.write(`${line}\n`);
      return;
    }
    if (message.ready === true) return readyResolve(message);
    if (typeof message.id === 'number' && waiting.has(message.id)) {
      const w = waiting.get(message.id)!;
      waiting.delete(message.id);
      if (message.ok) w.resolve(message);
      else w.reject(new Error(`${options.name}: ${String(message.error)}`));
      return;
    }
    for (const listener of listeners) listener(message);
  });
  const handle: BenchChild = {
    name: options.name,
    process: child,
    pid: child.pid!,
    ready: {},
    logFile: options.logFile,
    exited,
    onMessage: (listener) => listeners.push(listener),
    command(cmd, args = {}, timeoutMs = 120_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new Error(`${options.name}: no answer to ${cmd} within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        waiting.set(id, {
          resolve: (m) => {
            clearTimeout(timer);
            resolve(m);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        child.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
      });
    },
  };
  running.add(handle);
  void exited.then(() => {
    running.delete(handle);
    for (const w of waiting.values()) w.reject(new Error(`${options.name} exited`));
    waiting.clear();
    log.end();
  });
  const timeoutMs = options.readyTimeoutMs ?? 180_000;
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    readyPromise.then((m) => ({ ready: m })),
    exited.then((code) => ({ exit: code })),
    new Promise<{ timeout: true }>((resolve) => (timer = setTimeout(() => resolve({ timeout: true }), timeoutMs))),
  ]);
  clearTimeout(timer);
  if ('ready' in result) {
    handle.ready = result.ready;
    return handle;
  }
  if ('timeout' in result) child.kill('SIGKILL');
  throw new Error(`${options.name} did not start (${'exit' in result ? `exit code ${result.exit}` : 'timeout'}); its log: ${options.logFile}\n${tail(options.logFile)}`);
}

/** Ends a child: closes its stdin (it shuts down cleanly), then SIGTERM, then SIGKILL. */
export async function stopChild(child: BenchChild, graceMs = 8_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.stdin?.end();
  const done = (ms: number) => Promise.race([child.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  if (await done(graceMs)) return;
  child.process.kill('SIGTERM');
  if (await done(2_000)) return;
  child.process.kill('SIGKILL');
  await done(2_000);
}

/** The last lines of a log file (for error messages). */
export function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------- /proc

/** VmRSS and VmHWM (peak) of a process in bytes; undefined if it is gone. */
export function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds used by a process so far. */
export function cpuSecondsOf(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** CPU seconds per pid of every process whose command name is `name` (e.g. all PostgreSQL processes). */
export function cpuSecondsByCommand(name: string): Map<number, number> {
  const result = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (comm !== name) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
    } catch {
      // the process ended while we looked
    }
  }
  return result;
}

/** CPU seconds used between two `cpuSecondsByCommand` snapshots (processes that ended in between are not counted). */
export function cpuSecondsBetween(start: Map<number, number>, end: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of end) total += seconds - (start.get(pid) ?? 0);
  return total;
}

/** Whole-machine CPU seconds since boot, summed over all cores (from /proc/stat): busy (steal included), total, and stolen by the hypervisor. */
export function machineCpuSeconds(): { busy: number; total: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy / TICKS_PER_SECOND, total: (busy + idle! + iowait!) / TICKS_PER_SECOND, steal: steal! / TICKS_PER_SECOND };
}
