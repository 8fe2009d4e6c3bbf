// Test helpers: run OpenSSL (the independent verifier) on files in a temp dir.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpenSslResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
}

export function openssl(args: string[], options: { cwd?: string; input?: Uint8Array } = {}): Promise<OpenSslResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { cwd: options.cwd, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const errCode = (error as { code?: unknown } | null)?.code;
      if (typeof errCode === 'string') return reject(error); // spawn failure (e.g. ENOENT)
      const out = stdout.toString('utf8');
      const err = stderr.toString('utf8');
      resolve({ code: typeof errCode === 'number' ? errCode : error ? 1 : 0, stdout: out, stderr: err, output: `${out}\n${err}` });
    });
    if (options.input) child.stdin?.end(Buffer.from(options.input));
    else child.stdin?.end();
  });
}

export class TempDir {
  readonly path: string;
  private constructor(path: string) {
    this.path = path;
  }
  static async create(prefix = 'jplink-pki-'): Promise<TempDir> {
    return new TempDir(await mkdtemp(join(tmpdir(), prefix)));
  }
  file(name: string): string {
    return join(this.path, name);
  }
  async write(name: string, data: string | Uint8Array): Promise<string> {
    const p = this.file(name);
    await writeFile(p, data);
    return p;
  }
  async read(name: string): Promise<Buffer> {
    return readFile(this.file(name));
  }
  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
