// The devnet's sample backend behind the provider's Security Server: a tiny JSON service that
// shows what reached it (the PR-REST headers included), so a newcomer sees the exchange work.
import { createServer, type Server } from 'node:http';

export async function startSampleBackend(host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({
        service: 'サンプルのエコーサービス (sample echo)',
        method: req.method,
        path: req.url,
        client: req.headers['x-road-client'] ?? null,
        requestId: req.headers['x-road-request-id'] ?? null,
        received: Buffer.concat(chunks).toString('utf8').slice(0, 1000),
      });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
