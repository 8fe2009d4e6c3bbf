// The replay guard (src/proxy/replay-guard.ts): each message id once within the acceptance window,
// messages created outside ±window refused, ids seeded after a restart; its compact table keeps
// every live id through growth and rebuilds, forgets expired ones, and stays bounded under a
// steady stream of exchanges.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReplayGuard, SeenIds } from '../src/proxy/replay-guard.ts';

const WINDOW_S = 300;
const T0 = Date.parse('2026-12-08T05:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function guardAt(start = T0) {
  const clock = { now: start };
  return { clock, guard: new ReplayGuard(WINDOW_S, () => clock.now) };
}

const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return (error as { type?: string; message: string }).message;
  }
  return undefined;
};

describe('ReplayGuard', () => {
  it('accepts an id once, refuses it again for as long as its message could be accepted, and refuses messages outside ±window', () => {
    const { clock, guard } = guardAt();
    const id = randomUUID();
    expect(refusal(() => guard.check(id, iso(T0)))).toBeUndefined();
    expect(refusal(() => guard.check(id, iso(T0)))).toBe('this message was already received');
    // Same id with another creation time (a different message claiming the id): still a replay.
    expect(refusal(() => guard.check(id, iso(T0 + 1000)))).toBe('this message was already received');
    // A message created up to a window in the future is accepted; its id must be remembered until created + window.
    const future = randomUUID();
    expect(refusal(() => guard.check(future, iso(T0 + WINDOW_S * 1000)))).toBeUndefined();
    clock.now = T0 + 2 * WINDOW_S * 1000 - 1; // still within the window of that message
    expect(refusal(() => guard.check(future, iso(T0 + WINDOW_S * 1000)))).toBe('this message was already received');
    // Outside the window either way.
    expect(refusal(() => guard.check(randomUUID(), iso(clock.now - WINDOW_S * 1000 - 1)))).toMatch(/outside the acceptance window/);
    expect(refusal(() => guard.check(randomUUID(), iso(clock.now + WINDOW_S * 1000 + 1)))).toMatch(/outside the acceptance window/);
    expect(refusal(() => guard.check(randomUUID(), 'not a date'))).toMatch(/outside the acceptance window/);
  });

  it('forgets an id on request (a message whose signature failed), for UUIDs and other ids', () => {
    const { guard } = guardAt();
    for (const id of [randomUUID(), 'not-a-uuid-id']) {
      guard.check(id, iso(T0));
      guard.forget(id);
      expect(refusal(() => guard.check(id, iso(T0)))).toBeUndefined();
      expect(refusal(() => guard.check(id, iso(T0)))).toBe('this message was already received');
    }
    // Forgetting one id leaves the others (probing passes over the forgotten slot).
    const ids = Array.from({ length: 2000 }, () => randomUUID());
    for (const id of ids) guard.check(id, iso(T0));
    for (const id of ids.filter((_, i) => i % 2 === 0)) guard.forget(id);
    expect(ids.map((id) => refusal(() => guard.check(id, iso(T0))) === undefined)).toEqual(ids.map((_, i) => i % 2 === 0));
  });

  it('refuses the ids it was seeded with (after a restart), and keeps ids that are not UUIDs as well', () => {
    const { guard } = guardAt();
    const logged = randomUUID();
    guard.remember(logged, T0 - 10_000);
    expect(refusal(() => guard.check(logged, iso(T0 - 10_000)))).toBe('this message was already received');
    expect(refusal(() => guard.check('not-a-uuid-id', iso(T0)))).toBeUndefined();
    expect(refusal(() => guard.check('not-a-uuid-id', iso(T0)))).toBe('this message was already received');
    // Upper case is the same UUID.
    const lower = randomUUID();
    expect(refusal(() => guard.check(lower, iso(T0)))).toBeUndefined();
    expect(refusal(() => guard.check(lower.toUpperCase(), iso(T0)))).toBe('this message was already received');
  });

  it('under a steady stream, every id of the window is refused again and the table stays bounded', () => {
    const { clock, guard } = guardAt();
    const perSecond = 200;
    const recent: string[] = [];
    for (let second = 0; second < 3 * WINDOW_S; second++) {
      clock.now = T0 + second * 1000;
      for (let i = 0; i < perSecond; i++) {
        const id = randomUUID();
        guard.check(id, iso(clock.now));
        recent.push(id);
      }
      if (recent.length > perSecond * WINDOW_S) recent.splice(0, recent.length - perSecond * WINDOW_S);
    }
    for (const id of recent.filter((_, i) => i % 97 === 0)) expect(refusal(() => guard.check(id, iso(clock.now)))).toBe('this message was already received');
    const table = guard.seenTable();
    const live = table.size(clock.now);
    expect(live).toBeGreaterThanOrEqual(perSecond * WINDOW_S);
    expect(live).toBeLessThanOrEqual(perSecond * (WINDOW_S + 2));
    // At most four slots per live id (rebuilt half full, grown at three quarters): ≤ 20 bytes × 4 per id.
    expect(table.capacity).toBeLessThanOrEqual(4 * live);
  });
});

describe('SeenIds', () => {
  it('keeps ids apart that share all but one byte, and drops only expired ones when it rebuilds', () => {
    const ids = new SeenIds(1024);
    const base = Buffer.alloc(16, 0xab);
    const keys = Array.from({ length: 5000 }, (_, i) => {
      const key = Buffer.from(base);
      key.writeUInt16BE(i, 14);
      return key;
    });
    keys.forEach((key, i) => ids.add(key, i < 2500 ? T0 + 1000 : T0 + 60_000, T0));
    expect(keys.every((key) => ids.has(key, T0))).toBe(true);
    expect(ids.has(Buffer.alloc(16, 0xcd), T0)).toBe(false);
    // Later: the first half expired; adding more rebuilds without them.
    const later = T0 + 2000;
    for (let i = 0; i < 3000; i++) ids.add(Buffer.from(randomUUID().replaceAll('-', ''), 'hex'), later + 60_000, later);
    expect(keys.slice(0, 2500).some((key) => ids.has(key, later))).toBe(false);
    expect(keys.slice(2500).every((key) => ids.has(key, later))).toBe(true);
    expect(ids.size(later)).toBe(5500);
  });
});
