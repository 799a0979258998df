/**
 * A bounded least-recently-used map with per-entry expiry. O(1) get/set/delete using Map's
 * insertion order (a read re-inserts the entry at the young end). Expired entries are dropped
 * when touched and evicted first-come when the cap is hit; no timers.
 */
export interface LruOptions {
  /** Maximum number of live entries; the least recently used one is evicted beyond it. */
  maxEntries: number;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  /** Absolute expiry in ms since epoch; Infinity = never. */
  expiresAt: number;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, Entry<V>>();
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Entries dropped because the cap was reached (not expiry). */
  evictions = 0;
  /** Expired entries dropped (when touched, or when making room). */
  expirations = 0;

  constructor(options: LruOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new RangeError("maxEntries must be a positive integer");
    this.maxEntries = options.maxEntries;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.map.delete(key);
      this.expirations++;
      return undefined;
    }
    // refresh recency
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** Like get, without refreshing recency. */
  peek(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry || entry.expiresAt <= this.now()) return undefined;
    return entry.value;
  }

  has(key: K): boolean {
    return this.peek(key) !== undefined;
  }

  /** Stores `value` for `ttlMs` (omit or Infinity for no expiry). A ttl <= 0 deletes the key. */
  set(key: K, value: V, ttlMs: number = Infinity): void {
    if (!(ttlMs > 0)) {
      this.map.delete(key);
      return;
    }
    this.map.delete(key);
    this.map.set(key, { value, expiresAt: this.now() + ttlMs });
    if (this.map.size > this.maxEntries) this.evict();
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }

  private evict(): void {
    const now = this.now();
    // Prefer dropping expired entries among the oldest few; then the least recently used.
    let scanned = 0;
    for (const [key, entry] of this.map) {
      if (this.map.size <= this.maxEntries) return;
      if (entry.expiresAt <= now) {
        this.map.delete(key);
        this.expirations++;
      }
      if (++scanned >= 16) break;
    }
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next();
      if (oldest.done) return;
      this.map.delete(oldest.value);
      this.evictions++;
    }
  }
}
