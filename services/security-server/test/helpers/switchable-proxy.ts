// An HTTP reverse proxy in front of the Center's public port, for outage tests: requests whose
// path starts with a blocked prefix (e.g. `/tsa`) get a refused connection, everything else is
// forwarded. The Center publishes the proxy's URL (CENTER_PUBLIC_URL), so Security Servers reach
// the TSA, OCSP and the global configuration through it.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { freePort } from '@jplink/testing';

export interface SwitchableProxy {
  url: string;
  /** Where to forward (set once the Center listens). */
  target: { port: number };
  blocked: Set<string>;
  /** Requests per path prefix seen while blocked (e.g. TSA attempts during the outage). */
  refused: number;
  close(): Promise<void>;
}

export async function startSwitchableProxy(): Promise<SwitchableProxy> {
  const port = await freePort();
  const proxy: SwitchableProxy = {
    url: `http://127.0.0.1:${port}`,
    target: { port: 0 },
    blocked: new Set(),
    refused: 0,
    close: async () => undefined,
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if ([...proxy.blocked].some((prefix) => req.url?.startsWith(prefix))) {
      proxy.refused += 1;
      req.socket.destroy();
      return;
    }
    const upstream = request({ host: '127.0.0.1', port: proxy.target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return proxy;
}
