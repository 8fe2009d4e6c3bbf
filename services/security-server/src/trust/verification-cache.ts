// A small bounded cache for verification results on the message hot path: a hit is one Map lookup
// plus an expiry comparison. Entries carry their own expiry (e.g. when an OCSP response goes stale)
// and the least recently used entry is dropped when the cache is full.

export interface VerificationCacheStats {
  hits: number;
  misses: number;
  entries: number;
}

interface Entry<V> {
  value: V;
  /** Epoch milliseconds after which the entry must not be used. */
  expiresAtMs: number;
}

export class VerificationCache<V> {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry<V>>();
  #hits = 0;
  #misses = 0;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  }

  /** The value when present and not expired at `nowMs`; counts a hit or a miss. */
  get(key: string, nowMs: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#misses++;
      return undefined;
    }
    if (nowMs >= entry.expiresAtMs) {
      this.#entries.delete(key);
      this.#misses++;
      return undefined;
    }
    // Refresh recency: Map iteration order is insertion order, so the first key is the LRU one.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    this.#hits++;
    return entry.value;
  }

  set(key: string, value: V, expiresAtMs: number): void {
    this.#entries.delete(key);
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAtMs });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  stats(): VerificationCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size };
  }
}
