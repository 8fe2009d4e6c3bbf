/**
 * Cross-site request forgery defences for form posts, two layers deep:
 * the browser's own word (Sec-Fetch-Site, Origin) and a secret token in the
 * form. Signed-in pages use the session's token; the sign-in form, which has no
 * session yet, uses a signed double-submit cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '@jplink/kit';
import { readCookie, setCookie } from './cookies.ts';
import { UI_ERRORS } from './errors.ts';
import { randomToken } from './sessions.ts';

/** The hidden form field that carries the CSRF token (`form()` adds it). */
export const CSRF_FIELD = '_csrf';
/** The header alternative to the field, for fetch() callers. */
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function reject(reason: string): never {
  // The reason goes to the log only; the client sees the catalogue message.
  throw new AppError(UI_ERRORS.UI_CSRF_INVALID, { cause: new Error(reason) });
}

/** Rejects a request the browser marks as cross-site, or whose Origin is not this host. */
export function assertSameOrigin(request: FastifyRequest): void {
  if (request.headers['sec-fetch-site'] === 'cross-site') reject('Sec-Fetch-Site: cross-site');
  const origin = request.headers.origin;
  if (origin === undefined) return; // old browsers and some same-origin navigations; the token still decides
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return reject('unparsable Origin');
  }
  if (origin === 'null' || host !== request.host) reject(`Origin ${origin} is not ${request.host}`);
}

/** The token the request carries: the `_csrf` form field, else the `x-csrf-token` header. */
function submittedToken(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | null | undefined;
  const field = typeof body === 'object' && body !== null ? body[CSRF_FIELD] : undefined;
  if (typeof field === 'string') return field;
  const header = request.headers[CSRF_HEADER];
  return typeof header === 'string' ? header : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * For POST/PUT/PATCH/DELETE: the request must not be cross-site and must carry
 * the session's CSRF token. Throws UI_CSRF_INVALID (403). Safe methods pass.
 */
export function verifyCsrf(request: FastifyRequest, session: { csrfToken: string } | null): void {
  if (SAFE_METHODS.has(request.method)) return;
  assertSameOrigin(request);
  if (!session) reject('no session');
  const token = submittedToken(request);
  if (token === undefined) reject('no CSRF token in the request');
  if (!sameSecret(token, session.csrfToken)) reject('CSRF token does not match the session');
}

export type LoginCsrfOptions = {
  /** HMAC key (≥ 32 bytes). Give every instance behind one address the same secret; default: random per process. */
  secret?: string | Uint8Array;
  secure: boolean;
  /** How long a sign-in form stays usable; default 2 hours. */
  ttlSeconds?: number;
  now?: () => number;
};

export type LoginCsrf = {
  /** Sets (or renews) the sign-in CSRF cookie and returns the token for the form's `_csrf` field. */
  issueLoginCsrf(reply: FastifyReply): string;
  /** Checks a sign-in POST: same origin, cookie present, token signed for that cookie and not expired. */
  verifyLoginCsrf(request: FastifyRequest): void;
};

const NONCE_RE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Pre-session CSRF for the sign-in form (signed double submit): the cookie
 * holds a random nonce, the form holds `expiry.HMAC(secret, nonce, expiry)`.
 * A forged post has neither the cookie's nonce nor the secret to sign another.
 */
export function createLoginCsrf(opts: LoginCsrfOptions): LoginCsrf {
  const secret = opts.secret === undefined ? randomBytes(32) : Buffer.from(opts.secret);
  if (secret.length < 32) throw new RangeError('createLoginCsrf: the secret must be at least 32 bytes');
  const ttlSeconds = opts.ttlSeconds ?? 7200;
  const now = opts.now ?? Date.now;
  // __Host-: the browser accepts it only over HTTPS from this exact host, so a sibling subdomain cannot plant a nonce.
  const cookieName = opts.secure ? '__Host-jplink_signin_csrf' : 'jplink_signin_csrf';
  const sign = (nonce: string, expiry: number) =>
    createHmac('sha256', secret).update(`jplink-signin-csrf\0${nonce}\0${expiry}`).digest('base64url');

  return {
    issueLoginCsrf(reply) {
      // Reuse the browser's nonce so that two open sign-in tabs both stay valid.
      const existing = readCookie(reply.request, cookieName);
      const nonce = existing !== undefined && NONCE_RE.test(existing) ? existing : randomToken();
      setCookie(reply, cookieName, nonce, { secure: opts.secure, maxAgeSeconds: ttlSeconds });
      const expiry = Math.floor(now() / 1000) + ttlSeconds;
      return `${expiry}.${sign(nonce, expiry)}`;
    },

    verifyLoginCsrf(request) {
      if (SAFE_METHODS.has(request.method)) return;
      assertSameOrigin(request);
      const nonce = readCookie(request, cookieName);
      if (nonce === undefined || !NONCE_RE.test(nonce)) reject('no sign-in CSRF cookie');
      const token = submittedToken(request);
      const m = token === undefined ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
      if (!m) reject('no or malformed sign-in CSRF token');
      const expiry = Number(m[1]);
      if (expiry * 1000 <= now()) reject('sign-in CSRF token expired');
      if (!sameSecret(m[2]!, sign(nonce, expiry))) reject('sign-in CSRF token not signed for this cookie');
    },
  };
}
