/**
 * Slows password guessing: after `maxAttempts` failures within `windowSeconds`
 * a key is locked for `lockSeconds`. Count the client address and the username
 * as two separate keys (`signInThrottleKeys`), so one address cannot try many
 * names and many addresses cannot try one name.
 */
import { AppError } from '@jplink/kit';
import { UI_ERRORS } from './errors.ts';

export type SignInThrottleOptions = {
  maxAttempts: number;
  windowSeconds: number;
  lockSeconds: number;
  /** Most keys remembered (memory bound). Default 10 000. */
  maxKeys?: number;
  now?: () => number;
};

export type SignInThrottle = {
  /** Throws UI_SIGN_IN_THROTTLED (429, `detail.retryAfterSeconds`) while any of the keys is locked. */
  check(keys: string | readonly string[]): void;
  /** Counts a failed attempt against each key. */
  fail(keys: string | readonly string[]): void;
  /** Forgets the keys' failures (call with the username key; see docs/ui-kit.md). */
  succeed(keys: string | readonly string[]): void;
  readonly size: number;
};

type Entry = { failures: number; windowStart: number; lockedUntil: number };

/** The two keys of a sign-in attempt; usernames are compared NFKC-normalised and case-folded (Ｓａｔｏ = sato). */
export function signInThrottleKeys(clientIp: string, username: string): { ip: string; user: string } {
  return { ip: `ip:${clientIp}`, user: `user:${username.normalize('NFKC').trim().toLowerCase()}` };
}

const list = (keys: string | readonly string[]): readonly string[] => (typeof keys === 'string' ? [keys] : keys);

export function createSignInThrottle(opts: SignInThrottleOptions): SignInThrottle {
  if (!(opts.maxAttempts >= 1 && opts.windowSeconds > 0 && opts.lockSeconds > 0)) {
    throw new RangeError('createSignInThrottle: maxAttempts ≥ 1, windowSeconds and lockSeconds > 0');
  }
  const windowMs = opts.windowSeconds * 1000;
  const lockMs = opts.lockSeconds * 1000;
  const maxKeys = opts.maxKeys ?? 10_000;
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();

  const deadAt = (e: Entry) => Math.max(e.lockedUntil, e.windowStart + windowMs);

  function makeRoom(at: number): void {
    for (const [key, e] of entries) if (deadAt(e) <= at) entries.delete(key);
    if (entries.size < maxKeys) return;
    // Drop the least recently failed unlocked key; locked ones go last, so flooding
    // the table with fresh names does not unlock a name under attack.
    let victim: string | undefined;
    for (const [key, e] of entries) {
      if (e.lockedUntil <= at) {
        victim = key;
        break;
      }
    }
    entries.delete(victim ?? entries.keys().next().value!);
  }

  return {
    get size() {
      return entries.size;
    },

    check(keys) {
      const at = now();
      let lockedUntil = 0;
      for (const key of list(keys)) lockedUntil = Math.max(lockedUntil, entries.get(key)?.lockedUntil ?? 0);
      if (lockedUntil > at) {
        throw new AppError(UI_ERRORS.UI_SIGN_IN_THROTTLED, { detail: { retryAfterSeconds: Math.ceil((lockedUntil - at) / 1000) } });
      }
    },

    fail(keys) {
      const at = now();
      for (const key of list(keys)) {
        let e = entries.get(key);
        if (e) entries.delete(key); // re-inserted below: Map order = least recently failed first
        else if (entries.size >= maxKeys) makeRoom(at);
        if (!e || (e.lockedUntil <= at && at - e.windowStart >= windowMs)) e = { failures: 0, windowStart: at, lockedUntil: 0 };
        e.failures += 1;
        if (e.failures >= opts.maxAttempts) {
          e.lockedUntil = at + lockMs;
          e.failures = 0;
          e.windowStart = at;
        }
        entries.set(key, e);
      }
    },

    succeed(keys) {
      for (const key of list(keys)) entries.delete(key);
    },
  };
}
