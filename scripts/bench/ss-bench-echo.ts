// Child process of security-server-exchange.ts: the echo backend shared by both chains. It answers
// every request with status 200, the request's content type and the request body itself.
// Ready line: {"ready":true,"port":n}
import { createServer } from 'node:http';
import { emit, serveCommands } from './ss-bench-common.ts';

let requests = 0;
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    requests += 1;
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/octet-stream', 'content-length': String(body.length) });
    res.end(body);
  });
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
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
emit({ ready: true, port: (server.address() as { port: number }).port });
