// Child process of security-server-exchange.ts: one hop of the plain baseline chain — a node:http
// reverse proxy that forwards method, path, headers and body to its upstream over keep-alive
// connections and streams the answer back. No TLS, no signing, no logging.
// Usage: ss-bench-plain-proxy.ts <upstream port>. Ready line: {"ready":true,"port":n}
import { Agent, createServer, request, type IncomingHttpHeaders } from 'node:http';
import { emit, serveCommands } from './ss-bench-common.ts';

const upstreamPort = Number(process.argv[2]);
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade'];

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

let requests = 0;
const server = createServer((req, res) => {
  requests += 1;
  const headers = forwardable(req.headers);
  headers.host = `127.0.0.1:${upstreamPort}`;
  const upstream = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
    answer.pipe(res);
  });
  upstream.on('error', (error) => {
    if (res.headersSent) return res.destroy();
    const body = `upstream failed: ${error.message}`;
    res.writeHead(502, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
  });
  req.pipe(upstream);
});
server.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

serveCommands(
  async (command) => {
    if (command.cmd === 'stats') return { requests };
    throw new Error(`unknown command ${command.cmd}`);
  },
  () =>
    new Promise<void>((resolve) => {
      agent.destroy();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
emit({ ready: true, port: (server.address() as { port: number }).port });
