// `jplink devnet` as a user runs it, for the tests: a real child process on the embedded database,
// started on its own data folder and port base, stopped with SIGINT. Every devnet started here is
// tracked, so a failed assertion does not leave one running (stopAllDevnets in afterAll).
import { spawn, type ChildProcess } from 'node:child_process';

const bin = new URL('../bin/jplink.mjs', import.meta.url).pathname;
const children: ChildProcess[] = [];

export interface RunningDevnet {
  child: ChildProcess;
  portBase: number;
  output: () => string;
  /** The cold- or warm-start time devnet printed. */
  seconds: number;
}

/** A port base above the ports freePort() hands out (20000–29999) and below the kernel's ephemeral range. */
export function devnetPortBase(): number {
  return 30_000 + 10 * Math.floor(Math.random() * 200);
}

/** Starts devnet and resolves once it printed "is up in N s" (generous: the machine is shared). */
export async function startDevnetProcess(options: { home: string; portBase: number; instance?: string; timeoutMs?: number }): Promise<RunningDevnet> {
  const child = spawn(process.execPath, [bin, 'devnet', '--home', options.home, '--port-base', String(options.portBase), '--instance', options.instance ?? 'JP-TEST'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const timeoutMs = options.timeoutMs ?? 240_000;
  const seconds = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`devnet did not start in ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    child.stdout!.on('data', () => {
      const match = /is up in ([\d.]+) s/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`devnet exited with ${code}:\n${output}`));
    });
  });
  return { child, portBase: options.portBase, output: () => output, seconds };
}

/** SIGINT, as Ctrl+C; resolves with the exit code. */
export async function stopDevnetProcess(running: RunningDevnet): Promise<number | null> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return running.child.exitCode;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGINT');
  return exited;
}

export async function stopAllDevnets(): Promise<void> {
  for (const child of children.filter((c) => c.exitCode === null && c.signalCode === null)) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `jplink <args…>` as a child process; resolves with its exit code and output. */
export function runJplink(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
