/**
 * The few cookies the UI kit sets (session, sign-in CSRF, language). Every one
 * is HttpOnly, SameSite=Lax, Path=/ and Secure when the site is served over HTTPS.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parse, serialize } from 'cookie';

export function readCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  return header ? parse(header)[name] : undefined;
}

export type CookieOptions = { secure: boolean; maxAgeSeconds?: number };

/** Adds a Set-Cookie header (Fastify keeps earlier ones). `maxAgeSeconds` omitted → a browser-session cookie. */
export function setCookie(reply: FastifyReply, name: string, value: string, opts: CookieOptions): void {
  reply.header(
    'set-cookie',
    serialize(name, value, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: opts.secure,
      ...(opts.maxAgeSeconds === undefined ? {} : { maxAge: opts.maxAgeSeconds }),
    }),
  );
}

export function clearCookie(reply: FastifyReply, name: string, opts: { secure: boolean }): void {
  setCookie(reply, name, '', { secure: opts.secure, maxAgeSeconds: 0 });
}
