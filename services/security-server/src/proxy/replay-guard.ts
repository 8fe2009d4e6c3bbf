// Refuses replayed messages: a message id is accepted once within the acceptance window, and a
// message created outside ±window is refused outright. After a restart the guard is seeded with the
// message ids the provider side logged within the window.
//
// The ids of the window are many (at 800 exchanges per second and the default 300 s, 240,000), so
// they are kept compactly: each id (a UUID, exchange.md) as its 16 bytes in one open-addressing
// table with the second until which it is remembered — 20 bytes per slot, at most three quarters
// and after a rebuild at most half of the slots in use, instead of ≈ 100 bytes of heap per entry of
// a Map of strings and the garbage of its growth (docs/performance.md, 2026-12-08); nothing for the
// garbage collector to walk. Slots are placed by a keyed hash, so ids chosen to collide cannot make
// the probing slow.
import { randomBytes } from 'node:crypto';
import { XRoadError } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY_BYTES = 16;
const MIN_CAPACITY = 1024;

/** The 16 bytes of a UUID, or undefined for anything else. */
function uuidBytes(id: string, into: Buffer): Buffer | undefined {
  if (!UUID.test(id)) return undefined;
  into.write(id.slice(0, 8) + id.slice(9, 13) + id.slice(14, 18) + id.slice(19, 23) + id.slice(24), 0, 'hex');
  return into;
}

/** 32-bit finaliser of MurmurHash3: spreads every input bit over the result. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Ids with the time (ms) until which each is remembered; expired slots are dropped when the table is rebuilt. */
export class SeenIds {
  #seed = randomBytes(16);
  #keys: Buffer;
  /** Per slot: remembered until this second (since the epoch, rounded up); 0 = empty. */
  #until: Uint32Array;
  #mask: number;
  /** Occupied slots, live or expired. */
  #occupied = 0;

  constructor(capacity = MIN_CAPACITY) {
    const size = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(capacity)));
    this.#keys = Buffer.alloc(size * KEY_BYTES);
    this.#until = new Uint32Array(size);
    this.#mask = size - 1;
  }

  /** Slots in the table (for tests and stats). */
  get capacity(): number {
    return this.#until.length;
  }

  #slotOf(key: Buffer): number {
    let h = 0;
    for (let i = 0; i < KEY_BYTES; i += 4) h = fmix(h ^ key.readUInt32LE(i) ^ this.#seed.readUInt32LE(i));
    return h & this.#mask;
  }

  /** The slot holding `key`, or -1. */
  #find(key: Buffer): number {
    for (let slot = this.#slotOf(key); this.#until[slot] !== 0; slot = (slot + 1) & this.#mask) {
      if (this.#keys.compare(key, 0, KEY_BYTES, slot * KEY_BYTES, slot * KEY_BYTES + KEY_BYTES) === 0) return slot;
    }
    return -1;
  }

  /** Whether `key` is remembered at `now` (ms). */
  has(key: Buffer, now: number): boolean {
    const slot = this.#find(key);
    return slot >= 0 && this.#until[slot]! * 1000 > now;
  }

  /** Remembers `key` until `until` (ms; kept to the next whole second, or longer when it is there already). */
  add(key: Buffer, until: number, now: number): void {
    this.#put(key, until, now, this.#find(key));
  }

  /** Insert-if-absent: remembers `key` until `until` unless it is remembered at `now` already; whether it was not. */
  insert(key: Buffer, until: number, now: number): boolean {
    const found = this.#find(key);
    if (found >= 0 && this.#until[found]! * 1000 > now) return false;
    this.#put(key, until, now, found);
    return true;
  }

  #put(key: Buffer, until: number, now: number, found: number): void {
    const second = Math.max(1, Math.ceil(until / 1000));
    if (found >= 0) {
      this.#until[found] = Math.max(this.#until[found]!, second);
      return;
    }
    if ((this.#occupied + 1) * 4 > this.#until.length * 3) this.#rebuild(now);
    this.#place(key, second);
  }

  /** Puts `key` into the first free slot of its probe sequence. */
  #place(key: Buffer, second: number): void {
    let slot = this.#slotOf(key);
    while (this.#until[slot] !== 0) slot = (slot + 1) & this.#mask;
    key.copy(this.#keys, slot * KEY_BYTES, 0, KEY_BYTES);
    this.#until[slot] = second;
    this.#occupied += 1;
  }

  /** Forgets `key` (its slot stays, expired, until the next rebuild: probing passes over it). */
  forget(key: Buffer): void {
    const slot = this.#find(key);
    if (slot >= 0) this.#until[slot] = 1;
  }

  /** Live entries at `now` (ms; walks the table; for tests and stats). */
  size(now: number): number {
    let live = 0;
    for (const second of this.#until) if (second * 1000 > now) live += 1;
    return live;
  }

  /** A new table without the expired entries, at most half full. */
  #rebuild(now: number): void {
    const live = this.size(now);
    const old = { keys: this.#keys, until: this.#until };
    const size = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2((live + 1) * 2)));
    this.#keys = Buffer.alloc(size * KEY_BYTES);
    this.#until = new Uint32Array(size);
    this.#mask = size - 1;
    this.#occupied = 0;
    for (let i = 0; i < old.until.length; i++) {
      if (old.until[i]! * 1000 <= now) continue;
      this.#place(old.keys.subarray(i * KEY_BYTES, i * KEY_BYTES + KEY_BYTES), old.until[i]!);
    }
  }
}

export class ReplayGuard {
  #windowMs: number;
  #now: () => number;
  #seen = new SeenIds();
  /** Ids that are not UUIDs (none pass the header check today; kept so the guard never depends on it). */
  #other = new Map<string, number>();
  #scratch = Buffer.alloc(KEY_BYTES);

  constructor(windowSeconds: number, now: () => number = Date.now) {
    this.#windowMs = windowSeconds * 1000;
    this.#now = now;
  }

  check(messageId: string, createdAt: string): void {
    const now = this.#now();
    const created = Date.parse(createdAt);
    if (!Number.isFinite(created) || Math.abs(now - created) > this.#windowMs) {
      throw new XRoadError('server.serverproxy.replayed_message', 'the message was created outside the acceptance window (check both servers’ clocks)');
    }
    // Accepted while |now − created| ≤ window: remembered until created + window.
    if (!this.#insert(messageId, created + this.#windowMs, now)) throw new XRoadError('server.serverproxy.replayed_message', 'this message was already received');
  }

  /**
   * Forgets a message id that `check` accepted but whose message then failed its signature check:
   * `check` marks the id at once (so two copies arriving together cannot both pass), and a forged
   * message must not use up the id of the genuine one.
   */
  forget(messageId: string): void {
    const key = uuidBytes(messageId, this.#scratch);
    if (key) this.#seen.forget(key);
    else this.#other.delete(messageId);
  }

  /** The table of UUID ids (tests and stats). */
  seenTable(): SeenIds {
    return this.#seen;
  }

  /** Marks a message id as seen (created at `at`, ms since the epoch). */
  remember(messageId: string, at: number): void {
    this.#insert(messageId, at + this.#windowMs, this.#now());
  }

  /** Insert-if-absent of an id remembered until `until` (ms); whether it was not remembered at `now`. */
  #insert(messageId: string, until: number, now: number): boolean {
    const key = uuidBytes(messageId, this.#scratch);
    if (key) return this.#seen.insert(key, until, now);
    if ((this.#other.get(messageId) ?? 0) > now) return false;
    this.#other.set(messageId, until);
    if (this.#other.size % 1024 === 0) for (const [id, u] of this.#other) if (u <= now) this.#other.delete(id);
    return true;
  }
}
