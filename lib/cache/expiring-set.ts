/**
 * A set of keys that each live for a TTL and are never dropped to make room: what must not be
 * forgotten early (a session revocation) is kept until it expires. With `maxEntries`, an add
 * beyond the cap is refused instead (the caller says so), never paid for with an older entry.
 *
 * Entries are kept in insertion order; with one TTL per set (the session lifetime) that is expiry
 * order too, so expired entries are dropped from the oldest end in O(1) per add, and a full set is
 * swept once before it refuses.
 */
export class ExpiringSet {
  private readonly map = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.maxEntries = options.maxEntries ?? Infinity;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    const expiresAt = this.map.get(key);
    if (expiresAt === undefined) return false;
    if (expiresAt > this.now()) return true;
    this.map.delete(key);
    return false;
  }

  /** Adds `key` for `ttlMs` (an existing key gets the new expiry). False: the set is full, nothing was added. */
  add(key: string, ttlMs: number): boolean {
    this.dropExpiredFromOldest();
    if (!this.map.has(key) && this.map.size >= this.maxEntries) {
      this.sweep();
      if (this.map.size >= this.maxEntries) return false;
    }
    this.map.delete(key);
    this.map.set(key, this.now() + ttlMs);
    return true;
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  /** Live entries with their expiry (ms since epoch), oldest first. */
  entries(): [string, number][] {
    this.sweep();
    return [...this.map];
  }

  private dropExpiredFromOldest(): void {
    const now = this.now();
    for (const [key, expiresAt] of this.map) {
      if (expiresAt > now) return;
      this.map.delete(key);
    }
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, expiresAt] of this.map) if (expiresAt <= now) this.map.delete(key);
  }
}
