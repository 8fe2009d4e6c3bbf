import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createHttpApp, listen, onShutdown } from '../src/index.ts';
import { captureLogger } from './helpers.ts';

function harness() {
  const target = new EventEmitter();
  const exits: number[] = [];
  const { logger, lines } = captureLogger();
  return { target, exits, logger, lines, exit: (code: number) => void exits.push(code) };
}

describe('onShutdown', () => {
  it('runs closers in order on SIGTERM, once, then exits 0', async () => {
    const h = harness();
    const order: string[] = [];
    const handle = onShutdown(
      h.logger,
      [
        async () => {
          await new Promise((r) => setImmediate(r));
          order.push('http');
        },
        async () => {
          order.push('db');
        },
      ],
      { exit: h.exit, target: h.target },
    );
    h.target.emit('SIGTERM', 'SIGTERM');
    h.target.emit('SIGINT', 'SIGINT'); // repeated signal: ignored
    const code = await handle.shutdown('again'); // same run
    expect(code).toBe(0);
    expect(order).toEqual(['http', 'db']);
    expect(h.exits).toEqual([0]);
    const msgs = h.lines().map((l) => l.msg);
    expect(msgs).toContain('shutting down');
    expect(msgs).toContain('shutdown complete');
    expect(msgs.filter((m) => m === 'shutdown already in progress; ignoring').length).toBe(2);
    handle.dispose();
    expect(h.target.listenerCount('SIGTERM')).toBe(0);
  });

  it('a failing closer is logged, the rest still run, and the exit code is 1', async () => {
    const h = harness();
    const order: string[] = [];
    const handle = onShutdown(
      h.logger,
      [
        async () => {
          throw new Error('close failed');
        },
        async () => {
          order.push('db');
        },
      ],
      { exit: h.exit, target: h.target },
    );
    expect(await handle.shutdown('SIGINT')).toBe(1);
    expect(order).toEqual(['db']);
    expect(h.exits).toEqual([1]);
    expect(h.lines().some((l) => l.msg === 'shutdown step failed' && l.level === 'error')).toBe(true);
    handle.dispose();
  });

  it('exits 1 when the closers do not finish within the timeout', async () => {
    const h = harness();
    const handle = onShutdown(h.logger, [() => new Promise<void>(() => {})], { exit: h.exit, target: h.target, timeoutMs: 10 });
    expect(await handle.shutdown('SIGTERM')).toBe(1);
    expect(h.exits).toEqual([1]);
    expect(h.lines().some((l) => l.msg === 'shutdown timed out; exiting')).toBe(true);
    handle.dispose();
  });
});

describe('listen', () => {
  it('binds port 0 to a real port, logs and returns the URL', async () => {
    const { logger, lines } = captureLogger();
    const app = createHttpApp({ name: 'l', logger });
    app.get('/ping', async () => ({ pong: true }));
    const bound = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      expect(bound.port).toBeGreaterThan(0);
      expect(bound.url).toBe(`http://127.0.0.1:${bound.port}`);
      expect(lines().some((l) => l.msg === 'listening' && l.url === bound.url)).toBe(true);
      const res = await fetch(`${bound.url}/ping`);
      expect(await res.json()).toEqual({ pong: true });
      expect(res.headers.get('x-request-id')).toBeTruthy();
    } finally {
      await app.close();
    }
  });
});
