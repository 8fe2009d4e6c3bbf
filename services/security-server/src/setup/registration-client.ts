// Client of the Center's registration service (docs/protocols/registration.md): certificate
// applications without a client certificate, management requests with this server's auth
// certificate as the TLS client certificate. The Center's TLS certificate is trusted through the
// approved CA roots of the global configuration.
import { request } from 'node:https';
import type { KeyObject } from 'node:crypto';
import { derToPem } from '@jplink/pki';

export interface RegistrationTls {
  /** PEM roots to trust for the Center's TLS certificate. */
  ca: string[];
  /** This server's auth key and certificate, for management requests. */
  client?: { key: KeyObject; certificate: Uint8Array };
}

export class RegistrationError extends Error {
  override name = 'RegistrationError';
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function registrationCall<T>(
  baseUrl: string,
  tls: RegistrationTls,
  path: string,
  options: { method?: 'GET' | 'POST'; json?: unknown; bearer?: string; timeoutMs?: number } = {},
): Promise<T> {
  const body = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const url = new URL(path, baseUrl);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json', 'content-length': String(body.length) } : {}),
          ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
        },
        ca: tls.ca,
        ...(tls.client
          ? { key: tls.client.key.export({ type: 'pkcs8', format: 'pem' }), cert: derToPem(tls.client.certificate, 'CERTIFICATE') }
          : {}),
        agent: false,
        timeout: options.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new RegistrationError(res.statusCode ?? 0, undefined, `the registration service answered ${res.statusCode} with a non-JSON body`));
          }
          if ((res.statusCode ?? 500) >= 400) {
            const error = (parsed as { error?: { code?: string; message?: string } }).error;
            return reject(new RegistrationError(res.statusCode ?? 0, error?.code, error?.message ?? `HTTP ${res.statusCode}`));
          }
          resolve(parsed as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new RegistrationError(0, undefined, `the registration service did not answer in time (${url.origin})`)));
    req.on('error', (error) => reject(error instanceof RegistrationError ? error : new RegistrationError(0, undefined, `cannot reach the registration service: ${error.message}`)));
    req.end(body);
  });
}
