import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The passphrase protecting a devnet component's private keys: random, kept in its data folder
 * (development only; production reads it from a secret file).
 */
export async function devnetPassphrase(dir: string): Promise<string> {
  const path = join(dir, 'key-passphrase');
  // 'wx': create only when absent, never overwrite the passphrase existing keys are encrypted with.
  await writeFile(path, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  return (await readFile(path, 'utf8')).trim();
}
