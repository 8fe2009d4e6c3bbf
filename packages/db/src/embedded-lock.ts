import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { DbError } from './errors.ts';

interface LockContent {
  pid: number;
  hostname: string;
  startedAt: string;
}

export interface DirectoryLock {
  path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockContent | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockContent>;
    return typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0 ? (parsed as LockContent) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes an exclusive lock file holding our pid. The content is written to a temporary file first and hard-linked
 * into place, so the lock never exists half-written and only one of two racing processes wins the link.
 * A lock left by a dead pid (crash, kill -9) is taken over; one held by a live pid, this process included, is refused.
 */
export async function acquireDirectoryLock(path: string): Promise<DirectoryLock> {
  const content: LockContent = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${JSON.stringify(content)}\n`, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temp, path);
        return { path, release: () => releaseDirectoryLock(path) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readLock(path);
      if (holder && isAlive(holder.pid)) {
        const who = holder.pid === process.pid ? 'this process' : `pid ${holder.pid}`;
        throw new DbError('DB_EMBEDDED_LOCKED', `${path} is held by ${who} on ${holder.hostname} since ${holder.startedAt}; stop it first (delete the file only if that process is gone)`);
      }
      // Stale (dead pid) or unreadable: take it over. If another process takes it over first, the next link fails
      // with EEXIST again and we re-check its (live) holder.
      await unlink(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    throw new DbError('DB_EMBEDDED_LOCKED', `${path}: could not take over the lock`);
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Removes the lock if it is still ours. */
async function releaseDirectoryLock(path: string): Promise<void> {
  const holder = await readLock(path);
  if (holder?.pid === process.pid) await unlink(path).catch(() => {});
}
