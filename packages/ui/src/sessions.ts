/**
 * Server-side sessions for people signing in to a web UI (administrators,
 * residents). The browser holds only a random id in an HttpOnly cookie; the
 * store holds the data under the id's SHA-256, so a leaked store (or its logs)
 * does not hand out live sessions. Each session carries its own CSRF token.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearCookie, readCookie, setCookie } from './cookies.ts';

export type SessionRecord<T> = {
  data: T;
  csrfToken: string;
  /** Epoch milliseconds. */
  createdAt: number;
  lastSeenAt: number;
  /** Absolute end (createdAt + ttl), whatever the activity. */
  expiresAt: number;
};

/**
 * Where sessions live. `dropAfter` (epoch ms) is when the record is dead in any
 * case (absolute or idle expiry): a store may delete it then, and must not
 * return it afterwards.
 */
export interface SessionStore<T> {
  get(key: string): Promise<SessionRecord<T> | undefined>;
  set(key: string, record: SessionRecord<T>, dropAfter: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export type MemorySessionStoreOptions = {
  /** Most sessions held; when full, expired ones are swept, then the oldest sign-ins are dropped. Default 10 000. */
  maxSessions?: number;
  /** Expired sessions are swept at most this often (on writes). Default 60. */
  sweepIntervalSeconds?: number;
  now?: () => number;
};

/** A process-local store: fine for one instance; sessions end when the process restarts. */
export function createMemorySessionStore<T>(opts: MemorySessionStoreOptions = {}): SessionStore<T> & { readonly size: number } {
  const max = opts.maxSessions ?? 10_000;
  const sweepEveryMs = (opts.sweepIntervalSeconds ?? 60) * 1000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, { record: SessionRecord<T>; dropAfter: number }>();
  let lastSweep = now();

  function sweep(at: number): void {
    lastSweep = at;
    for (const [key, entry] of entries) if (entry.dropAfter <= at) entries.delete(key);
  }

  return {
    get size() {
      return entries.size;
    },
    async get(key) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.dropAfter <= now()) {
        entries.delete(key);
        return undefined;
      }
      return structuredClone(entry.record);
    },
    async set(key, record, dropAfter) {
      const at = now();
      if (at - lastSweep >= sweepEveryMs) sweep(at);
      if (!entries.has(key) && entries.size >= max) {
        sweep(at);
        // Map order is insertion order: the first entries are the oldest sign-ins.
        for (const oldest of entries.keys()) {
          if (entries.size < max) break;
          entries.delete(oldest);
        }
      }
      entries.set(key, { record: structuredClone(record), dropAfter });
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}

export type SessionOptions<T> = {
  /** Use a `__Host-` prefixed name when `secure` (the browser then refuses it from subdomains or over HTTP). */
  cookieName: string;
  /** Absolute lifetime from sign-in. */
  ttlSeconds: number;
  /** Ends after this long without a request. */
  idleSeconds: number;
  /** Secure cookie (HTTPS). */
  secure: boolean;
  store?: SessionStore<T>;
  now?: () => number;
};

export type Session<T> = {
  data: T;
  /** Put into every form of this session (`form({ csrfToken })`); checked by `verifyCsrf`. */
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
};

export type Sessions<T> = {
  readonly cookieName: string;
  /** Starts a new session with a new id (any session the browser had is ended: no fixation) and sets the cookie. */
  start(reply: FastifyReply, data: T): Promise<Session<T>>;
  /** The request's live session, or null (none, unknown, expired or idle too long). */
  read(request: FastifyRequest): Promise<Session<T> | null>;
  /** Ends the request's session (if any) and clears the cookie. */
  destroy(request: FastifyRequest, reply: FastifyReply): Promise<void>;
};

const ID_RE = /^[A-Za-z0-9_-]{43}$/; // 32 bytes, base64url

/** 32 random bytes, base64url (43 characters). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function storeKey(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export function createSessions<T>(opts: SessionOptions<T>): Sessions<T> {
  if (!(opts.ttlSeconds > 0 && opts.idleSeconds > 0)) throw new RangeError('createSessions: ttlSeconds and idleSeconds must be positive');
  const now = opts.now ?? Date.now;
  const store = opts.store ?? createMemorySessionStore<T>({ now });
  const ttlMs = opts.ttlSeconds * 1000;
  const idleMs = opts.idleSeconds * 1000;
  // Refresh lastSeenAt at most this often, so reading a session is not a write on every request.
  const touchEveryMs = Math.min(60_000, idleMs / 10);
  const dropAfter = (r: SessionRecord<T>) => Math.min(r.expiresAt, r.lastSeenAt + idleMs);
  const view = (r: SessionRecord<T>): Session<T> => ({
    data: r.data,
    csrfToken: r.csrfToken,
    createdAt: new Date(r.createdAt),
    expiresAt: new Date(r.expiresAt),
  });
  const cookieId = (request: FastifyRequest) => {
    const id = readCookie(request, opts.cookieName);
    return id !== undefined && ID_RE.test(id) ? id : undefined;
  };

  return {
    cookieName: opts.cookieName,

    async start(reply, data) {
      const previous = cookieId(reply.request);
      if (previous) await store.delete(storeKey(previous));
      const at = now();
      const id = randomToken();
      const record: SessionRecord<T> = { data, csrfToken: randomToken(), createdAt: at, lastSeenAt: at, expiresAt: at + ttlMs };
      await store.set(storeKey(id), record, dropAfter(record));
      setCookie(reply, opts.cookieName, id, { secure: opts.secure });
      return view(record);
    },

    async read(request) {
      const id = cookieId(request);
      if (!id) return null;
      const key = storeKey(id);
      const record = await store.get(key);
      if (!record) return null;
      const at = now();
      if (at >= dropAfter(record)) {
        await store.delete(key);
        return null;
      }
      if (at - record.lastSeenAt >= touchEveryMs) {
        record.lastSeenAt = at;
        await store.set(key, record, dropAfter(record));
      }
      return view(record);
    },

    async destroy(request, reply) {
      const id = cookieId(request);
      if (id) await store.delete(storeKey(id));
      clearCookie(reply, opts.cookieName, { secure: opts.secure });
    },
  };
}
