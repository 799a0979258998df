import { LruCache } from "@/lib/cache/lru";

/** A budget of `capacity` requests, refilled at `refillPerSecond`. */
export interface BucketSpec {
  capacity: number;
  refillPerSecond: number;
}

/** A token bucket: bursts up to `capacity`, then `refillPerSecond` on average. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly spec: BucketSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = spec.capacity;
    this.updatedAt = now();
  }

  /** Takes one request from the budget: 0 when granted, otherwise the whole seconds until one is. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.spec.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.spec.refillPerSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.spec.refillPerSecond));
  }
}

export interface RateLimitSpec {
  /** What the whole process accepts, from everybody together. */
  instance: BucketSpec;
  /** What one client accepts, when the client is known (its address, from a trusted proxy). */
  client: BucketSpec;
  /** Clients tracked at once; the least recently seen are forgotten beyond it (the instance budget still holds). */
  maxClients: number;
}

/**
 * A per-process rate limit for an endpoint anyone can call: one budget for the process and, when
 * the caller's address is known, one per client, so that one client's flood does not spend
 * everyone's share. Without a known address (forwarded headers not trusted) all callers share the
 * instance budget: a forged X-Forwarded-For must not buy a fresh one.
 */
export class RateLimiter {
  private readonly instance: TokenBucket;
  private readonly clients: LruCache<string, TokenBucket>;

  constructor(
    private readonly spec: RateLimitSpec,
    private readonly now: () => number = Date.now,
  ) {
    this.instance = new TokenBucket(spec.instance, now);
    this.clients = new LruCache({ maxEntries: spec.maxClients, now });
  }

  /** 0: go ahead; otherwise the seconds the caller should wait (Retry-After). */
  take(client: string | undefined): number {
    if (client !== undefined) {
      let bucket = this.clients.get(client);
      if (!bucket) {
        bucket = new TokenBucket(this.spec.client, this.now);
        this.clients.set(client, bucket);
      }
      const wait = bucket.take();
      if (wait > 0) return wait;
    }
    return this.instance.take();
  }
}
