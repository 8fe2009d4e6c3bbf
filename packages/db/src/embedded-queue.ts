// pglite-socket 0.2.17 runs the frontend messages of all socket connections one at a time on PGlite's ONE
// session, and keeps them apart only while an SQL transaction is open. That is not enough for the extended query
// protocol: the unnamed statement and portal of a Parse/Bind/Describe/Execute batch live until its Sync, outside
// any transaction, so two connections' batches could interleave — "unnamed prepared statement does not exist", or
// worse, one client binding another's statement (electric-sql/pglite#1046, PR #977, both open). A query that threw
// inside PGlite also left the queue marked busy for ever (the same issue, defect B).
//
// This replaces the queue's scheduler of our own server instance: once a connection has sent an extended-protocol
// message, only its messages run until its Sync (or a simple Query, or Terminate); while a transaction is open, only
// its owner's (as before); a failing message rejects that message alone and the queue goes on.
import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** The parts of pglite-socket's (unexported) QueryQueueManager that this scheduler uses. */
interface QueueItem {
  handlerId: number;
  message: Uint8Array;
  resolve(bytes: number): void;
  reject(error: unknown): void;
  onData(data: Uint8Array): void;
}
interface QueueManager {
  queue: QueueItem[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(fn: () => Promise<T>): Promise<T>;
    execProtocolRawStream(message: Uint8Array, options: { onRawData(data: Uint8Array): void }): Promise<unknown>;
  };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

// Frontend message types (PostgreSQL protocol 3.0).
const PARSE = 0x50; // P
const BIND = 0x42; // B
const DESCRIBE = 0x44; // D
const EXECUTE = 0x45; // E
const CLOSE = 0x43; // C
const FLUSH = 0x48; // H
const SYNC = 0x53; // S
const QUERY = 0x51; // Q
const TERMINATE = 0x58; // X
const OPENS_BATCH = new Set([PARSE, BIND, DESCRIBE, EXECUTE, CLOSE, FLUSH]);
const ENDS_BATCH = new Set([SYNC, QUERY, TERMINATE]);

/** Who may run next: the connection in the middle of an extended-protocol batch, else the one in a transaction. */
export interface ExtendedQueryIsolation {
  /** The connection whose extended-protocol batch is open (tests). */
  readonly pinnedHandler: number | null;
}

export function isolateExtendedQueries(server: PGLiteSocketServer): ExtendedQueryIsolation {
  const manager = (server as unknown as { queryQueue?: QueueManager }).queryQueue;
  if (!manager || !Array.isArray(manager.queue) || typeof manager.processQueue !== 'function' || typeof manager.clearQueueForHandler !== 'function' || !manager.db) {
    // A pglite-socket whose internals moved: refuse to run without the isolation rather than risk mixed-up statements.
    throw new Error('pglite-socket internals changed: cannot isolate extended-protocol batches (check the pinned version)');
  }
  let pinned: number | null = null;

  async function runOne(item: QueueItem): Promise<void> {
    let bytes = 0;
    try {
      await manager!.db.runExclusive(() =>
        manager!.db.execProtocolRawStream(item.message, {
          onRawData: (data) => {
            bytes += data.length;
            item.onData(data);
          },
        }),
      );
    } catch (error) {
      if (pinned === item.handlerId) pinned = null;
      item.reject(error);
      return;
    }
    manager!.lastHandlerId = item.handlerId;
    const type = item.message[0]!;
    if (OPENS_BATCH.has(type)) pinned = item.handlerId;
    else if (ENDS_BATCH.has(type) && pinned === item.handlerId) pinned = null;
    item.resolve(bytes);
  }

  manager.processQueue = async function processQueue(): Promise<void> {
    if (manager.processing || manager.queue.length === 0) return;
    manager.processing = true;
    try {
      while (manager.queue.length > 0) {
        const owner = pinned ?? (manager.db.isInTransaction() ? manager.lastHandlerId : null);
        let index = 0;
        if (owner !== null) {
          index = manager.queue.findIndex((q) => q.handlerId === owner);
          if (index === -1) break; // the owner's next message will start the queue again
        }
        const [item] = manager.queue.splice(index, 1);
        await runOne(item!);
      }
    } finally {
      manager.processing = false;
    }
  };

  const clear = manager.clearQueueForHandler.bind(manager);
  manager.clearQueueForHandler = (handlerId: number) => {
    clear(handlerId);
    if (pinned === handlerId) {
      // The connection went away mid-batch: its unnamed statement is abandoned; let the others run.
      pinned = null;
      void manager.processQueue();
    }
  };

  return {
    get pinnedHandler() {
      return pinned;
    },
  };
}
