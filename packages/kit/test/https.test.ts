import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHttpApp, listen } from '../src/index.ts';
import { captureLogger } from './helpers.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('createHttpApp with https', () => {
  it.skipIf(!hasOpenssl())('serves TLS and listen() reports an https URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1',
    ], { stdio: 'ignore' });
    const certPem = readFileSync(cert);
    const app = createHttpApp({ name: 'tls', logger: captureLogger().logger, https: { key: readFileSync(key), cert: certPem } });
    app.get('/ping', async () => ({ pong: true }));
    const bound = await listen(app, { host: '127.0.0.1', port: 0 });
    try {
      expect(bound.url).toBe(`https://127.0.0.1:${bound.port}`);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${bound.url}/ping`, { ca: certPem }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve(data));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ pong: true });
    } finally {
      await app.close();
    }
  });
});
