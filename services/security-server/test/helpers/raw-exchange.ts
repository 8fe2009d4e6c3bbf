// Sends hand-made exchange messages straight to a provider's Security Server, as a (possibly
// misbehaving) client-side server would: for tampering, replay and wrong-certificate tests.
import { randomUUID } from 'node:crypto';
import { request } from 'node:https';
import { AUTH_OCSP_HEADER, EXCHANGE_CONTENT_TYPE, EXCHANGE_PATH, writeMessage, type RequestHeader } from '@jplink/exchange';
import { derToPem } from '@jplink/pki';
import type { KeyObject } from 'node:crypto';
import type { RunningSs } from './network.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): { type: string; message: string; detail: string };
}

export async function buildRequest(from: RunningSs, to: RunningSs, overrides: Partial<RequestHeader> & { body?: Buffer } = {}) {
  const ctx = from.ss.context;
  const { body = Buffer.from('{"q":1}'), ...headerOverrides } = overrides;
  const header = {
    protocol: 'jpx/1' as const,
    kind: 'request' as const,
    messageId: randomUUID(),
    xRoadId: randomUUID(),
    createdAt: new Date().toISOString(),
    senderServer: ctx.serverIdText,
    targetServer: to.ss.context.serverIdText,
    client: `JP-TEST/COM/1111111111111/shopping`,
    service: `JP-TEST/COM/2222222222222/healthcare/vitals`,
    method: 'POST',
    path: '/x',
    query: '',
    headers: [['content-type', 'application/json']] as Array<[string, string]>,
    ...headerOverrides,
  };
  return writeMessage({ header, body, sign: (digest) => ctx.signers.sign('COM', '1111111111111', digest, 'client') });
}

export function sendRaw(
  to: RunningSs,
  frames: Buffer[],
  tls: { key: KeyObject; certificate: Uint8Array; ocsp?: Buffer },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const body = Buffer.concat(frames);
    const req = request(
      {
        host: '127.0.0.1',
        port: to.ports.exchange,
        method: 'POST',
        path: EXCHANGE_PATH,
        key: tls.key.export({ type: 'pkcs8', format: 'pem' }),
        cert: derToPem(tls.certificate, 'CERTIFICATE'),
        rejectUnauthorized: false,
        agent: false,
        headers: {
          'content-type': EXCHANGE_CONTENT_TYPE,
          'content-length': String(body.length),
          ...(tls.ocsp ? { [AUTH_OCSP_HEADER]: tls.ocsp.toString('base64') } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buffer = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: buffer, json: () => JSON.parse(buffer.toString('utf8')) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The consumer server's own auth key, certificate and current OCSP response. */
export function authOf(running: RunningSs) {
  const key = running.ss.context.keys.get('auth')!;
  return { key: key.privateKey, certificate: key.certificate!.der, ocsp: running.ss.context.ownOcsp.responseFor(key.certificate!.parsed.sha256)! };
}
