// The backend client (undici underneath) against real node:http servers on loopback: what the
// backend receives, chunked and repeated response headers, the response size limit, timeouts and
// unreachable backends, each with its documented error type.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackendClient, backendTarget } from '../src/proxy/backend-client.ts';
import { refusal } from './helpers/refusal.ts';

let server: Server;
let base: string;
let seen: { method: string; url: string; headers: IncomingMessage['headers']; rawHeaders: string[]; body: string } | undefined;
const client = new BackendClient();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString('utf8') };
      if (req.url?.startsWith('/chunked')) {
        res.writeHead(201, [['content-type', 'text/plain'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
        res.write('part one, ');
        setTimeout(() => res.end('part two'), 10);
      } else if (req.url?.startsWith('/big')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(5000, 0x62));
      } else if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.end('late'), 3000).unref();
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(() => {
  client.close();
  server.closeAllConnections();
  server.close();
});

const call = (url: string, options: { method?: string; headers?: Array<[string, string]>; body?: string; timeoutMs?: number; maxBodyBytes?: number; path?: string; query?: string } = {}) =>
  client.call({
    url: backendTarget(url, options.path ?? '', options.query ?? ''),
    method: options.method ?? 'GET',
    headers: options.headers ?? [],
    body: Buffer.from(options.body ?? ''),
    timeoutMs: options.timeoutMs ?? 10_000,
    tlsVerify: true,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
  });

describe('backend client', () => {
  it('sends method, path, query, headers and body; hop-by-hop request headers stay behind', async () => {
    const response = await call(`${base}/svc/`, {
      method: 'POST',
      path: '/items/7',
      query: 'q=1&r=%E3%81%82',
      headers: [['content-type', 'application/json'], ['x-road-client', 'JP/COM/1/c'], ['accept', 'a'], ['accept', 'b'], ['connection', 'close'], ['transfer-encoding', 'chunked'], ['upgrade', 'h2c']],
      body: '{"a":1}',
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({ ok: true });
    expect(seen).toMatchObject({ method: 'POST', url: '/svc/items/7?q=1&r=%E3%81%82', body: '{"a":1}' });
    expect(seen!.headers['x-road-client']).toBe('JP/COM/1/c');
    expect(seen!.headers['content-length']).toBe('7');
    expect(seen!.headers.upgrade).toBeUndefined();
    expect(seen!.headers['transfer-encoding']).toBeUndefined();
    expect(seen!.headers.connection).not.toBe('close');
    expect(seen!.rawHeaders.filter((_, i, all) => i % 2 === 0 && all[i]!.toLowerCase() === 'accept')).toHaveLength(2);
  });

  it('sends the service URL’s user information as HTTP Basic', async () => {
    await call(`http://user:p%40ss@127.0.0.1:${new URL(base).port}/svc`);
    expect(seen!.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('reads a chunked response and keeps repeated headers', async () => {
    const response = await call(`${base}/chunked`);
    expect(response.status).toBe(201);
    expect(response.body.toString('utf8')).toBe('part one, part two');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('refuses a response over the size limit → server.serverproxy.body_too_large', async () => {
    expect((await refusal(call(`${base}/big`, { maxBodyBytes: 4096 }))).type).toBe('server.serverproxy.body_too_large');
    // The client still works afterwards.
    expect((await call(`${base}/big`, { maxBodyBytes: 8192 })).body.length).toBe(5000);
  });

  it('gives up after the service timeout → server.serverproxy.service_timeout', async () => {
    expect((await refusal(call(`${base}/slow`, { timeoutMs: 300 }))).type).toBe('server.serverproxy.service_timeout');
  });

  it('an unreachable backend → server.serverproxy.service_failed', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await refusal(call(`http://127.0.0.1:${port}/svc`));
    expect(error.type).toBe('server.serverproxy.service_failed');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
