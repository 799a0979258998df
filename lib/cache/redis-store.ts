import "server-only";
import Redis from "ioredis";
import { describeError, log } from "@/lib/http/log";
import { createValueCipher, type ValueCipher } from "./crypto";
import { ExpiringSet } from "./expiring-set";
import { LruCache } from "./lru";
import { MemoryStore } from "./memory-store";
import { StoreUnavailableError, type CacheStore, type EvictionCounts, type SharedRecords } from "./store";

export interface RedisStoreOptions {
  url: string;
  /** TOKEN_CACHE_ENCRYPTION_KEY: values are AES-256-GCM encrypted before they leave the process. */
  encryptionKey: string;
  /** Used only while Redis is unreachable; dropped when it is back. */
  fallback: MemoryStore;
  /** Prefix for every key, so one Redis can serve several apps. */
  keyPrefix?: string;
  /** Per-command timeout; a slow Redis must not hold requests hostage. */
  commandTimeoutMs?: number;
  /** The queue of markSharedBounded records waiting for Redis (default 10,000); beyond it they are refused. */
  maxDeferredBoundedRecords?: number;
}

const DEFAULT_MAX_DEFERRED_BOUNDED_RECORDS = 10_000;
/** Shared records this process wrote, remembered so it can vouch for them while Redis is down (a cache: may forget). */
const MAX_WRITTEN_HERE = 100_000;

/**
 * Redis-backed store shared by every instance of the app, with an in-memory fallback.
 *
 * Failure behaviour: commands never queue while disconnected (`enableOfflineQueue: false`), so a
 * Redis outage costs a request nothing but a cache miss; the store logs ONE warning when Redis
 * becomes unreachable and one info line when it is back, and ioredis keeps reconnecting in the
 * background (capped backoff). While down, reads and writes go to the memory fallback.
 *
 * While Redis is reachable it is the only truth: a Redis miss is a miss, never an answer from the
 * memory fallback, because another instance may have deleted the entry (a user signing out) while
 * this one held a copy. The fallback is emptied when Redis comes back.
 *
 * Shared records (session revocations) never use the fallback: reads fail with
 * StoreUnavailableError while Redis is down, writes are kept and replayed when it returns — a
 * signed-in user's records in a queue that never drops one, records written for unauthenticated
 * requests in a bounded queue of their own that refuses when full. Deletes made while Redis is down
 * (a sign-out's token partition) are replayed too, so a partition deleted during an outage does not
 * come back with Redis.
 */
export class RedisStore implements CacheStore, SharedRecords {
  readonly kind = "redis+memory";
  private readonly client: Redis;
  private readonly cipher: ValueCipher;
  private readonly fallback: MemoryStore;
  private readonly prefix: string;
  private degraded = false;
  private closed = false;
  /** Shared records written while Redis was down, for signed-in users' own actions: never dropped. */
  private readonly deferred = new ExpiringSet();
  /** Shared records written while Redis was down for unauthenticated requests: bounded, refused when full. */
  private readonly deferredBounded: ExpiringSet;
  /** Keys deleted while Redis was down: deleted from Redis when it is back. */
  private readonly deferredDeletes = new Set<string>();
  /** Shared records this process wrote (see SharedRecords.hasAnyWrittenHere). */
  private readonly writtenHere = new LruCache<string, true>({ maxEntries: MAX_WRITTEN_HERE });
  private flushing: Promise<void> | undefined;
  /** Settles at the first connection outcome, so requests at boot don't miss a reachable Redis. */
  private readonly firstConnection: Promise<void>;

  constructor(options: RedisStoreOptions) {
    this.cipher = createValueCipher(options.encryptionKey);
    this.fallback = options.fallback;
    this.deferredBounded = new ExpiringSet({ maxEntries: options.maxDeferredBoundedRecords ?? DEFAULT_MAX_DEFERRED_BOUNDED_RECORDS });
    this.prefix = options.keyPrefix ?? "ms-identity-nextjs:";
    this.client = new Redis(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
    });
    // Without an "error" listener ioredis prints every reconnect failure; we log transitions only.
    this.client.on("error", (e: unknown) => this.markDown(e));
    this.client.on("close", () => this.markDown(undefined));
    this.client.on("ready", () => this.markUp());
    this.firstConnection = new Promise<void>((resolve) => {
      const done = () => resolve();
      this.client.once("ready", done);
      this.client.once("error", done);
      setTimeout(done, 2_500).unref();
    });
  }

  /** True while Redis is connected and answering. */
  get available(): boolean {
    return this.client.status === "ready";
  }

  private markDown(e: unknown): void {
    if (this.closed || this.degraded) return;
    this.degraded = true;
    log("warn", "token_cache.redis_unavailable", {
      message: "Redis is unreachable; the token cache is using process memory until it returns.",
      error: e === undefined ? "connection closed" : describeError(e),
    });
  }

  private markUp(): void {
    void this.flushDeferred();
    if (!this.degraded) return;
    this.degraded = false;
    // Copies written during the outage may have been deleted elsewhere since: Redis is the truth now.
    this.fallback.clear();
    log("info", "token_cache.redis_restored", { message: "Redis is reachable again; the token cache uses it." });
  }

  /** Replays what was written and deleted during an outage (records with what is left of their TTL). One flush at a time. */
  private flushDeferred(): Promise<void> {
    this.flushing ??= this.replay().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private get hasDeferred(): boolean {
    return this.deferred.size > 0 || this.deferredBounded.size > 0 || this.deferredDeletes.size > 0;
  }

  private async replay(): Promise<void> {
    for (const queue of [this.deferred, this.deferredBounded]) {
      for (const [key, expiresAt] of queue.entries()) {
        if (!this.available) return;
        const ttl = Math.ceil((expiresAt - Date.now()) / 1000);
        try {
          if (ttl > 0) await this.client.set(this.k(key), "1", "EX", ttl);
          queue.delete(key);
        } catch (e) {
          this.markDown(e);
          return;
        }
      }
    }
    for (const key of [...this.deferredDeletes]) {
      if (!this.available) return;
      // A write since (set() forgets the pending delete) is newer than the delete: keep it.
      if (!this.deferredDeletes.has(key)) continue;
      try {
        await this.client.del(this.k(key));
        this.deferredDeletes.delete(key);
      } catch (e) {
        this.markDown(e);
        return;
      }
    }
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    await this.firstConnection;
    if (this.deferredDeletes.has(key)) return this.fallback.get(key);
    if (this.available) {
      try {
        const sealed = await this.client.get(this.k(key));
        if (sealed === null) return undefined;
        try {
          return this.cipher.decrypt(sealed, key);
        } catch (e) {
          // Wrong key (rotated secret) or tampering: treat as a miss, and drop the entry.
          log("warn", "token_cache.undecryptable_entry", { error: describeError(e) });
          void this.client.del(this.k(key)).catch(() => undefined);
          return undefined;
        }
      } catch (e) {
        this.markDown(e);
      }
    }
    return this.fallback.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    await this.firstConnection;
    if (this.available) {
      try {
        // Sent after any replayed delete of this key already on the wire, so Redis applies it last.
        this.deferredDeletes.delete(key);
        await this.client.set(this.k(key), this.cipher.encrypt(value, key), "EX", ttl);
        // A stale copy written during an outage must not shadow the fresh shared one later.
        await this.fallback.delete(key);
        return;
      } catch (e) {
        this.markDown(e);
      }
    }
    await this.fallback.set(key, value, ttl);
  }

  async delete(key: string): Promise<void> {
    await this.fallback.delete(key);
    if (this.available) {
      try {
        await this.client.del(this.k(key));
        return;
      } catch (e) {
        this.markDown(e);
      }
    }
    // Redis still holds the entry (a sign-out's refresh token): delete it there when it is back.
    this.deferredDeletes.add(key);
  }

  /** The memory fallback's (Redis counts its own expiries). */
  evictionCounts(): EvictionCounts {
    return this.fallback.evictionCounts();
  }

  async hasAnyShared(keys: readonly string[]): Promise<boolean> {
    await this.firstConnection;
    if (!this.available) throw new StoreUnavailableError();
    if (this.hasDeferred) await this.flushDeferred();
    try {
      return keys.length > 0 && (await this.client.exists(...keys.map((key) => this.k(key)))) > 0;
    } catch (e) {
      this.markDown(e);
      throw new StoreUnavailableError({ cause: e });
    }
  }

  hasAnyWrittenHere(keys: readonly string[]): boolean {
    return keys.some((key) => this.writtenHere.has(key));
  }

  async markShared(key: string, ttlSeconds: number): Promise<"stored" | "deferred"> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    if (await this.writeShared(key, ttl)) return "stored";
    this.deferred.add(key, ttl * 1000);
    this.writtenHere.set(key, true, ttl * 1000);
    return "deferred";
  }

  async markSharedBounded(key: string, ttlSeconds: number): Promise<"stored" | "deferred" | "refused"> {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    if (await this.writeShared(key, ttl)) return "stored";
    if (!this.deferredBounded.add(key, ttl * 1000)) {
      log("warn", "token_cache.deferred_record_refused", { message: "Redis is unreachable and the queue of records written for unauthenticated requests is full; this one was refused." });
      return "refused";
    }
    this.writtenHere.set(key, true, ttl * 1000);
    return "deferred";
  }

  /** Writes a shared record to Redis; false when Redis is unreachable. */
  private async writeShared(key: string, ttl: number): Promise<boolean> {
    await this.firstConnection;
    if (!this.available) return false;
    try {
      // The key (a hash) is the record; the value says nothing, so it needs no encryption.
      await this.client.set(this.k(key), "1", "EX", ttl);
      this.writtenHere.set(key, true, ttl * 1000);
      return true;
    } catch (e) {
      this.markDown(e);
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.disconnect();
    await this.fallback.close();
  }
}
