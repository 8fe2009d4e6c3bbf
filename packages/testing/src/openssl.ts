// OpenSSL, the independent verifier of everything cryptographic in our tests.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpenSslResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout + stderr */
  output: string;
}

/** Runs `openssl args…`; resolves with the exit code and output (rejects only if openssl cannot start). */
export function openssl(args: string[], options: { cwd?: string; input?: Uint8Array } = {}): Promise<OpenSslResult> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { cwd: options.cwd, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
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

export interface TempDir {
  dir: string;
  /** The path of `name` in the folder; writes `content` first when given. */
  file(name: string, content?: string | Uint8Array): Promise<string>;
}

export async function tempDir(prefix = 'jplink-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return {
    dir,
    async file(name, content) {
      const path = join(dir, name);
      if (content !== undefined) await writeFile(path, content);
      return path;
    },
  };
}
