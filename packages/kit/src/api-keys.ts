// API keys for admin APIs: random 32-byte tokens with a `jpl_` prefix, stored only as SHA-256.
// Clients send `Authorization: Bearer <key>`.
import { createHash, randomBytes } from 'node:crypto';

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
