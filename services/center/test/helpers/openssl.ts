// OpenSSL as the independent verifier in tests.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function openssl(args: string[], options: { cwd?: string } = {}): Promise<OpensslResult> {
  return new Promise((resolve) => {
    execFile('openssl', args, { cwd: options.cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export async function tempDir(prefix = 'jplink-openssl-'): Promise<{ dir: string; file(name: string, content?: string | Uint8Array): Promise<string> }> {
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
