/**
 * Process lifecycle: graceful shutdown on SIGINT/SIGTERM and a `listen` helper.
 */
import type { AddressInfo } from 'node:net';
import type { App } from './http-app.ts';

type LogLike = {
  info: (obj: object, msg: string) => void;
  error: (obj: object, msg: string) => void;
  warn: (obj: object, msg: string) => void;
};

type SignalTarget = {
  on: (event: string, listener: (signal: string) => void) => unknown;
  off: (event: string, listener: (signal: string) => void) => unknown;
};

export type ShutdownOptions = {
  /** Give up and exit 1 after this long; default 10 000 ms. */
  timeoutMs?: number;
  /** Default ['SIGINT', 'SIGTERM']. */
  signals?: readonly string[];
  /** Injected for tests; default process.exit. */
  exit?: (code: number) => void;
  /** Where signal handlers are installed; default `process` (tests pass an EventEmitter). */
  target?: SignalTarget;
};

export type ShutdownHandle = {
  /** Run the shutdown (as a signal would). Idempotent: later calls return the same promise. */
  shutdown: (reason: string) => Promise<number>;
  /** Remove the signal handlers (tests). */
  dispose: () => void;
};

/**
 * On the first SIGINT/SIGTERM: run `closers` one after another in the given order
 * (e.g. [() => app.close(), () => db.destroy()]), log each step, then exit 0.
 * A closer that throws is logged and the rest still run; the exit code is then 1.
 * If everything has not finished within `timeoutMs`, exit 1. Repeated signals are ignored.
 */
export function onShutdown(
  logger: LogLike,
  closers: ReadonlyArray<() => Promise<void>>,
  opts: ShutdownOptions = {},
): ShutdownHandle {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const signals = opts.signals ?? ['SIGINT', 'SIGTERM'];
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const target: SignalTarget = opts.target ?? (process as unknown as SignalTarget);
  let running: Promise<number> | undefined;

  const shutdown = (reason: string): Promise<number> => {
    if (running) {
      logger.warn({ reason }, 'shutdown already in progress; ignoring');
      return running;
    }
    running = (async () => {
      logger.info({ reason, closers: closers.length, timeoutMs }, 'shutting down');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const work = (async () => {
        let failed = false;
        for (const [index, close] of closers.entries()) {
          try {
            await close();
            logger.info({ step: index + 1, of: closers.length }, 'shutdown step done');
          } catch (err) {
            failed = true;
            logger.error({ err, step: index + 1, of: closers.length }, 'shutdown step failed');
          }
        }
        return failed ? 'failed' : 'done';
      })();
      const outcome = await Promise.race([work, timedOut]);
      clearTimeout(timer);
      const code = outcome === 'done' ? 0 : 1;
      if (outcome === 'timeout') logger.error({ timeoutMs }, 'shutdown timed out; exiting');
      else logger.info({ code }, 'shutdown complete');
      exit(code);
      return code;
    })();
    return running;
  };

  const handler = (signal: string) => {
    void shutdown(signal);
  };
  for (const s of signals) target.on(s, handler);

  return {
    shutdown,
    dispose: () => {
      for (const s of signals) target.off(s, handler);
    },
  };
}

export type ListenOptions = { host: string; port: number };
export type BoundAddress = { host: string; port: number; url: string };

/** Listen, log the bound URL, and return it (port 0 → the actual port). */
export async function listen(app: App, opts: ListenOptions): Promise<BoundAddress> {
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address() as AddressInfo | string | null;
  if (addr === null || typeof addr === 'string') {
    throw new Error(`listen: unexpected server address ${JSON.stringify(addr)}`);
  }
  const scheme = app.initialConfig.https ? 'https' : 'http';
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const bound = { host: addr.address, port: addr.port, url: `${scheme}://${host}:${addr.port}` };
  app.log.info({ url: bound.url }, 'listening');
  return bound;
}
