// Refuses replayed messages: a message id is accepted once within the acceptance window, and a
// message created outside ±window is refused outright. After a restart the guard is seeded with the
// message ids the provider side logged within the window.
import { XRoadError } from '../errors.ts';

export class ReplayGuard {
  #windowMs: number;
  #seen = new Map<string, number>();
  #now: () => number;

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
    if (this.#seen.has(messageId)) throw new XRoadError('server.serverproxy.replayed_message', 'this message was already received');
    this.#seen.set(messageId, created);
    if (this.#seen.size % 1024 === 0) this.#prune(now);
  }

  /** Marks a message id as seen (at `at`, ms since the epoch). */
  remember(messageId: string, at: number): void {
    this.#seen.set(messageId, at);
  }

  #prune(now: number) {
    for (const [id, created] of this.#seen) {
      if (now - created > this.#windowMs) this.#seen.delete(id);
    }
  }
}
