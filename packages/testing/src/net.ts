import { createServer } from 'node:net';

// Ports for services whose URLs must be known before they listen (a Center publishes its URL in
// its certificates; a Security Server registers its address before it serves). Asking the kernel
// for an ephemeral port and closing it races with every other process on the machine: the kernel
// hands the same range to outgoing connections. So ports come from 20000–29999, below the
// ephemeral range (32768+ on Linux), in a block of 1000 per test worker (VITEST_POOL_ID, else the
// pid), counted up within the block, each checked by binding it.
const RANGE_START = 20_000;
const BLOCK = 1_000;
const BLOCKS = 10;

const worker = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? process.pid);
const blockStart = RANGE_START + (Number.isFinite(worker) ? worker % BLOCKS : 0) * BLOCK;
// One counter per process even if this module is loaded twice, starting at a random place in the
// block: a test file's process that is still exiting, or a child process with the same pool id,
// used the block's first ports, and a port checked free here is only bound by the caller later.
const state = ((globalThis as Record<symbol, { next: number } | undefined>)[Symbol.for('jplink.testing.freePort')] ??= { next: Math.floor(Math.random() * BLOCK) });

function available(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that is free and that no other test worker will be given. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = blockStart + (state.next % BLOCK);
    state.next += 1;
    if (await available(port)) return port;
  }
  throw new RangeError(`no free port in ${blockStart}–${blockStart + BLOCK - 1}`);
}
