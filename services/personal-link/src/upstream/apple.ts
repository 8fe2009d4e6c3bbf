// Sign in with Apple's client secret: an ES256 JWT signed with the developer's .p8 key
// (iss = team id, sub = client id (Services ID), aud = https://appleid.apple.com, at most ~6 months).
// We make a short-lived one for each token request instead of storing a long-lived one.
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';

export const APPLE_AUDIENCE = 'https://appleid.apple.com';
/** Apple refuses client secrets valid longer than 15,777,000 s (~6 months). */
export const APPLE_MAX_SECRET_SECONDS = 15_777_000;

export async function appleClientSecret(opts: { teamId: string; keyId: string; clientId: string; privateKeyPem: string; now?: Date; ttlSeconds?: number; audience?: string }): Promise<string> {
  const ttl = Math.min(opts.ttlSeconds ?? 300, APPLE_MAX_SECRET_SECONDS);
  const iat = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  const key = createPrivateKey(opts.privateKeyPem);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: opts.keyId })
    .setIssuer(opts.teamId)
    .setSubject(opts.clientId)
    .setAudience(opts.audience ?? APPLE_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .sign(key);
}

/** Apple's `user` form field (first authorization only): `{"name":{"firstName","lastName"},"email"}`. */
export function parseAppleUser(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    const user = JSON.parse(text) as { name?: { firstName?: unknown; lastName?: unknown }; email?: unknown };
    const given = typeof user.name?.firstName === 'string' ? user.name.firstName.slice(0, 100) : undefined;
    const family = typeof user.name?.lastName === 'string' ? user.name.lastName.slice(0, 100) : undefined;
    return {
      ...(given ? { given_name: given } : {}),
      ...(family ? { family_name: family } : {}),
      ...(given || family ? { name: [family, given].filter(Boolean).join(' ') } : {}),
    };
  } catch {
    return {};
  }
}
