// API keys for admin APIs: random 32-byte tokens with a `jpl_` prefix, stored only as SHA-256.
// Clients send `Authorization: Bearer <key>`.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, KIT_ERRORS } from './errors.ts';

export function generateApiKey(): string {
  return `jpl_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key in an `Authorization: Bearer <key>` header, or undefined when absent or malformed. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9_-]{10,200})$/.exec(header);
  return match?.[1];
}

/** Whether `key` is the key whose SHA-256 (hex) is `sha256Hex`, compared in constant time. */
export function apiKeyMatches(key: string | undefined, sha256Hex: string): boolean {
  const expected = Buffer.from(sha256Hex, 'hex');
  const given = key ? Buffer.from(hashApiKey(key), 'hex') : Buffer.alloc(expected.length);
  return key !== undefined && key !== '' && given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Requires `Authorization: Bearer <key>` on every URL under `prefix` (default `/api/`) of an admin
 * app; `onFailure` (the service's audit event) runs before the 401 `KIT_UNAUTHENTICATED`.
 */
export function requireApiKey(app: FastifyInstance, options: { apiKeySha256: string; prefix?: string; onFailure: (request: FastifyRequest) => Promise<void> }): void {
  const prefix = options.prefix ?? '/api/';
  app.addHook('preValidation', async (request) => {
    if (!request.url.startsWith(prefix)) return;
    if (!apiKeyMatches(bearerToken(request.headers.authorization), options.apiKeySha256)) {
      await options.onFailure(request);
      throw new AppError(KIT_ERRORS.KIT_UNAUTHENTICATED);
    }
  });
}
