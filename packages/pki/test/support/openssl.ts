// Test helpers: run OpenSSL (the independent verifier) on files in a temp dir.
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export { openssl, type OpenSslResult } from '@jplink/testing';

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
