// The hot-path cache: expiry per entry, LRU eviction at the size bound, hit/miss counters.
import { describe, expect, it } from 'vitest';
import { VerificationCache } from '../src/trust/verification-cache.ts';

describe('VerificationCache', () => {
  it('returns a value until its expiry and counts hits and misses', () => {
    const cache = new VerificationCache<string>({ maxEntries: 10 });
    expect(cache.get('a', 0)).toBeUndefined();
    cache.set('a', 'A', 1_000);
    expect(cache.get('a', 999)).toBe('A');
    expect(cache.get('a', 1_000)).toBeUndefined();
    expect(cache.stats()).toEqual({ hits: 1, misses: 2, entries: 0 });
  });

  it('drops the least recently used entry when full', () => {
    const cache = new VerificationCache<number>({ maxEntries: 2 });
    cache.set('a', 1, Infinity);
    cache.set('b', 2, Infinity);
    expect(cache.get('a', 0)).toBe(1); // a is now the most recently used
    cache.set('c', 3, Infinity);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBe(1);
    expect(cache.get('c', 0)).toBe(3);
    expect(cache.size).toBe(2);
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
