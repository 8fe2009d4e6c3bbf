import { describe, expect, it } from 'vitest';
import { AppError } from '@jplink/kit';
import { createSignInThrottle, signInThrottleKeys } from '../src/index.ts';
import { buildDemoApp, injectSignIn } from './demo-app.ts';

function throttled(fn: () => void): AppError | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

describe('sign-in throttle', () => {
  const setup = (extra: { maxKeys?: number } = {}) => {
    const clock = { now: 0 };
    const throttle = createSignInThrottle({ maxAttempts: 3, windowSeconds: 60, lockSeconds: 300, now: () => clock.now, ...extra });
    return { clock, throttle };
  };

  it('locks a key after maxAttempts failures and unlocks it after lockSeconds', () => {
    const { clock, throttle } = setup();
    throttle.fail('user:sato');
    throttle.fail('user:sato');
    expect(throttled(() => throttle.check('user:sato'))).toBeUndefined();
    throttle.fail('user:sato');
    const err = throttled(() => throttle.check('user:sato'));
    expect(err?.code).toBe('UI_SIGN_IN_THROTTLED');
    expect(err?.statusCode).toBe(429);
    expect(err?.detail).toEqual({ retryAfterSeconds: 300 });
    clock.now += 299_000;
    expect(throttled(() => throttle.check('user:sato'))?.detail).toEqual({ retryAfterSeconds: 1 });
    clock.now += 1_000;
    expect(throttled(() => throttle.check('user:sato'))).toBeUndefined();
  });

  it('forgets failures older than the window', () => {
    const { clock, throttle } = setup();
    throttle.fail('ip:192.0.2.1');
    throttle.fail('ip:192.0.2.1');
    clock.now += 60_000;
    throttle.fail('ip:192.0.2.1');
    expect(throttled(() => throttle.check('ip:192.0.2.1'))).toBeUndefined();
  });

  it('counts the address and the username separately; a lock on either blocks the attempt', () => {
    const { throttle } = setup();
    // One address guessing many names: the address locks.
    for (const name of ['a', 'b', 'c']) throttle.fail(Object.values(signInThrottleKeys('192.0.2.1', name)));
    expect(throttled(() => throttle.check(Object.values(signInThrottleKeys('192.0.2.1', 'd'))))?.code).toBe('UI_SIGN_IN_THROTTLED');
    expect(throttled(() => throttle.check(Object.values(signInThrottleKeys('192.0.2.2', 'd'))))).toBeUndefined();
    // Many addresses guessing one name: the name locks, from every address.
    for (const ip of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) throttle.fail(Object.values(signInThrottleKeys(ip, 'sato')));
    expect(throttled(() => throttle.check(Object.values(signInThrottleKeys('203.0.113.9', 'sato'))))?.code).toBe('UI_SIGN_IN_THROTTLED');
  });

  it('treats full-width and upper-case spellings of a username as the same key', () => {
    expect(signInThrottleKeys('::1', 'Ｓａｔｏ ').user).toBe(signInThrottleKeys('::1', 'sato').user);
  });

  it('succeed() clears the failures of the given key', () => {
    const { throttle } = setup();
    throttle.fail('user:sato');
    throttle.fail('user:sato');
    throttle.succeed('user:sato');
    throttle.fail('user:sato');
    throttle.fail('user:sato');
    expect(throttled(() => throttle.check('user:sato'))).toBeUndefined();
  });

  it('remembers at most maxKeys keys, dropping unlocked ones before locked ones', () => {
    const { throttle } = setup({ maxKeys: 10 });
    for (let i = 0; i < 3; i++) throttle.fail('user:target'); // locked
    for (let i = 0; i < 100; i++) throttle.fail(`user:random-${i}`);
    expect(throttle.size).toBe(10);
    expect(throttled(() => throttle.check('user:target'))?.code).toBe('UI_SIGN_IN_THROTTLED');
  });
});

describe('sign-in with the throttle', () => {
  it('after too many wrong passwords the sign-in page answers 429, even to the right password', async () => {
    const app = buildDemoApp({ maxAttempts: 2 });
    try {
      expect((await injectSignIn(app, 'wrong-1')).res.statusCode).toBe(401);
      expect((await injectSignIn(app, 'wrong-2')).res.statusCode).toBe(401);
      const { res, cookie } = await injectSignIn(app);
      expect(res.statusCode).toBe(429);
      expect(res.body).toContain('サインインの試行回数が多すぎます。');
      expect(cookie).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
