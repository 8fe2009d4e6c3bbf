// A plain HTTP server on loopback for tests that play a party outside the code under test (an RP's
// notification endpoint, a Security Server answering reflections): listens on a freePort and closes
// with its keep-alive connections.
import { createServer, type RequestListener } from 'node:http';
import { freePort } from './net.ts';

export interface TestHttpServer {
  /** http://127.0.0.1:PORT */
  url: string;
  close(): Promise<void>;
}

export async function serveHttp(handler: RequestListener): Promise<TestHttpServer> {
  const server = createServer(handler);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
