// OCSP responses for this Security Server's own certificates on disk: `dataDir/ocsp/<sha256>.der`,
// so a restart can serve the last fresh response before the first fetch. Responses are re-verified
// when loaded; the disk is a cache, not a source of trust.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../conf/atomic-file.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;

export class OcspResponseStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'ocsp');
  }

  #path(certSha256: string): string {
    if (!SHA256_HEX.test(certSha256)) throw new Error('certificate hash must be lower-case hex SHA-256');
    return join(this.dir, `${certSha256}.der`);
  }

  async read(certSha256: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.#path(certSha256));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async write(certSha256: string, der: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.#path(certSha256), der);
  }
}
