import "server-only";
import Redis from "ioredis";
import { describeError, log } from "@/lib/http/log";
import { createValueCipher, type ValueCipher } from "./crypto";
import { MemoryStore } from "./memory-store";
import type { CacheStore } from "./store";

export interface RedisStoreOptions {
  url: string;
  /** TOKEN_CACHE_ENCRYPTION_KEY: values are AES-256-GCM encrypted before they leave the process. */
  encryptionKey: string;
  /** Used while Redis is unreachable; also consulted on a Redis miss (entries written during an outage). */
  fallback: MemoryStore;
  /** Prefix for every key, so one Redis can serve several apps. */
  keyPrefix?: string;
  /** Per-command timeout; a slow Redis must not hold requests hostage. */
  commandTimeoutMs?: number;
}

/**
 * Redis-backed store shared by every instance of the app, with an in-memory fallback.
 *
 * Failure behaviour: commands never queue while disconnected (`enableOfflineQueue: false`), so a
 * Redis outage costs a request nothing but a cache miss; the store logs ONE warning when Redis
 * becomes unreachable and one info line when it is back, and ioredis keeps reconnecting in the
 * background (capped backoff). While down, reads and writes go to the memory fallback.
 */
export class RedisStore implements CacheStore {
  readonly kind = "redis+memory";
  private readonly client: Redis;
  private readonly cipher: ValueCipher;
  private readonly fallback: MemoryStore;
  private readonly prefix: string;
  private degraded = false;
  private closed = false;
  /** Settles at the first connection outcome, so requests at boot don't miss a reachable Redis. */
  private readonly firstConnection: Promise<void>;

  constructor(options: RedisStoreOptions) {
    this.cipher = createValueCipher(options.encryptionKey);
    this.fallback = options.fallback;
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
    if (!this.degraded) return;
    this.degraded = false;
    log("info", "token_cache.redis_restored", { message: "Redis is reachable again; the token cache uses it." });
  }

  private k(key: string): string {
    return this.prefix + key;
  }

  async get(key: string): Promise<string | undefined> {
    await this.firstConnection;
    if (this.available) {
      try {
        const sealed = await this.client.get(this.k(key));
        if (sealed !== null) {
          try {
            return this.cipher.decrypt(sealed, key);
          } catch (e) {
            // Wrong key (rotated secret) or tampering: treat as a miss, and drop the entry.
            log("warn", "token_cache.undecryptable_entry", { error: describeError(e) });
            void this.client.del(this.k(key)).catch(() => undefined);
            return undefined;
          }
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
      } catch (e) {
        this.markDown(e);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.disconnect();
    await this.fallback.close();
  }
}
