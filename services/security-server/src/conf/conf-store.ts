// The last accepted global configuration on disk: `conf-<version>.json` + `conf-<version>.json.p7s`
// (the exact signed bytes and the detached signature) and `current.json` naming them. Each file is
// written to a temporary name and renamed; `current.json` is renamed last, so a crash leaves either
// the old or the new pair in force, never a mix. Nothing read from here is trusted until it has been
// verified again with the anchor.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';

export interface StoredGlobalConf {
  version: number;
  document: Buffer;
  signature: Buffer;
}

interface Pointer {
  version: number;
  document: string;
  signature: string;
  documentSha256: string;
}

const POINTER = 'current.json';
const PLAIN_NAME = /^[A-Za-z0-9._-]+$/;

export class GlobalConfStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'globalconf');
  }

  /** The stored pair, or undefined when nothing was stored yet. Throws when the files are unreadable. */
  async read(): Promise<StoredGlobalConf | undefined> {
    let pointerText: string;
    try {
      pointerText = await readFile(join(this.dir, POINTER), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const pointer = JSON.parse(pointerText) as Partial<Pointer>;
    if (
      typeof pointer.version !== 'number' ||
      typeof pointer.document !== 'string' ||
      typeof pointer.signature !== 'string' ||
      !PLAIN_NAME.test(pointer.document) ||
      !PLAIN_NAME.test(pointer.signature)
    ) {
      throw new Error(`${POINTER} is malformed`);
    }
    const [document, signature] = await Promise.all([readFile(join(this.dir, pointer.document)), readFile(join(this.dir, pointer.signature))]);
    return { version: pointer.version, document, signature };
  }

  /** Stores a verified pair and removes older ones. */
  async write(conf: StoredGlobalConf): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const document = `conf-${conf.version}.json`;
    const signature = `${document}.p7s`;
    await writeFileAtomic(join(this.dir, document), conf.document);
    await writeFileAtomic(join(this.dir, signature), conf.signature);
    const pointer: Pointer = {
      version: conf.version,
      document,
      signature,
      documentSha256: createHash('sha256').update(conf.document).digest('hex'),
    };
    await writeFileAtomic(join(this.dir, POINTER), `${JSON.stringify(pointer, null, 2)}\n`);
    const keep = new Set([document, signature, POINTER]);
    for (const name of await readdir(this.dir)) {
      if (!keep.has(name) && /^conf-\d+\.json(\.p7s)?$/.test(name)) await rm(join(this.dir, name), { force: true });
    }
  }
}
