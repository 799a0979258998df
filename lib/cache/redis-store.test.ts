import Redis from "ioredis";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { startRedisServer, type RedisServer } from "@/test-support/redis-server";
import { startTcpProxy, type TcpProxy } from "@/test-support/tcp-proxy";
import { createValueCipher } from "./crypto";
import { MemoryStore } from "./memory-store";
import { RedisStore } from "./redis-store";
import { StoreUnavailableError } from "./store";

const KEY = "k".repeat(40);
let redis: RedisServer;
let logs: LogRecord[] = [];
let restoreLog: () => void;

beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis.kill();
});
beforeEach(() => {
  logs = [];
  restoreLog = setLogSink((r) => logs.push(r));
});
afterEach(() => restoreLog());

const until = async (cond: () => boolean | Promise<boolean>, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe("value cipher", () => {
  it("round-trips, binds the value to its key and rejects tampering or another secret", () => {
    const c = createValueCipher(KEY);
    const sealed = c.encrypt("secret token cache", "user-a");
    expect(sealed).not.toContain("secret");
    expect(c.decrypt(sealed, "user-a")).toBe("secret token cache");
    expect(() => c.decrypt(sealed, "user-b")).toThrow();
    const flipped = sealed.slice(0, -2) + (sealed.at(-2) === "A" ? "B" : "A") + sealed.at(-1);
    expect(() => c.decrypt(flipped, "user-a")).toThrow();
    expect(() => createValueCipher("x".repeat(40)).decrypt(sealed, "user-a")).toThrow();
    expect(() => createValueCipher("short")).toThrow(RangeError);
  });
});

describe("RedisStore", () => {
  it("shares entries between two instances, encrypted at rest, with a TTL", async () => {
    const a = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const b = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const raw = new Redis(redis.url);
    try {
      await a.set("partition-1", '{"AccessToken":{"x":{"secret":"eyJhbGciOi.fake"}}}', 120);
      expect(await b.get("partition-1")).toBe('{"AccessToken":{"x":{"secret":"eyJhbGciOi.fake"}}}');
      const stored = await raw.get("ms-identity-nextjs:partition-1");
      expect(stored).toMatch(/^v1\./);
      expect(stored).not.toContain("AccessToken");
      const ttl = await raw.ttl("ms-identity-nextjs:partition-1");
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
      await b.delete("partition-1");
      expect(await a.get("partition-1")).toBeUndefined();
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });

  it("treats an entry encrypted with another key as a miss", async () => {
    const a = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const other = new RedisStore({ url: redis.url, encryptionKey: "z".repeat(40), fallback: new MemoryStore({ maxEntries: 10 }) });
    try {
      await a.set("p2", "value", 60);
      expect(await other.get("p2")).toBeUndefined();
    } finally {
      await a.close();
      await other.close();
    }
  });

  it("falls back to memory with one warning while Redis is down, and uses Redis again when it returns", async () => {
    const fallback = new MemoryStore({ maxEntries: 100 });
    const store = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback });
    try {
      await store.set("before", "1", 60);
      expect(store.available).toBe(true);
      await redis.kill();
      await until(() => !store.available);
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        await store.set(`during-${i}`, String(i), 60);
        expect(await store.get(`during-${i}`)).toBe(String(i));
      }
      expect(Date.now() - started).toBeLessThan(1_000); // no per-request connection waits
      expect(fallback.size).toBe(20);
      const warnings = logs.filter((l) => l.level === "warn");
      expect(warnings.map((w) => w.event)).toEqual(["token_cache.redis_unavailable"]);

      redis = await redis.restart();
      await until(() => store.available, 10_000);
      expect(logs.some((l) => l.event === "token_cache.redis_restored")).toBe(true);
      // Redis is the truth again: a copy written to memory during the outage is not served (another
      // instance may have deleted the entry since), and the memory copies are dropped.
      expect(await store.get("during-3")).toBeUndefined();
      expect(fallback.size).toBe(0);
      await store.set("after", "2", 60);
      const raw = new Redis(redis.url);
      expect(await raw.exists("ms-identity-nextjs:after")).toBe(1);
      raw.disconnect();
      expect(logs.filter((l) => l.event === "token_cache.redis_unavailable")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it("while Redis is reachable, never serves a memory copy another instance may have deleted", async () => {
    const a = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const b = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    try {
      await until(() => a.available && b.available);
      // Instance B signs a user in during an outage: the partition lives only in B's memory.
      await redis.kill();
      await until(() => !a.available && !b.available);
      await b.set("partition-x", "tokens", 60);
      expect(await b.get("partition-x")).toBe("tokens");
      redis = await redis.restart();
      await until(() => a.available && b.available, 10_000);
      // The user signs out on instance A, which deletes the shared entry...
      await a.delete("partition-x");
      // ...and instance B must not hand out its stale copy.
      expect(await b.get("partition-x")).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("shared records (session revocations)", () => {
  it("are seen by every instance, by key, at once", async () => {
    const a = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const b = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const raw = new Redis(redis.url);
    try {
      expect(await a.markShared("revoked:1", 120)).toBe("stored");
      expect(await b.hasAnyShared(["revoked:0", "revoked:1"])).toBe(true);
      expect(await b.hasAnyShared(["revoked:0"])).toBe(false);
      const ttl = await raw.ttl("ms-identity-nextjs:revoked:1");
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });

  it("fail closed while Redis is down, and a record written meanwhile reaches Redis when it returns", async () => {
    const a = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const b = new RedisStore({ url: redis.url, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    try {
      await until(() => a.available && b.available);
      await redis.kill();
      await until(() => !a.available && !b.available);
      await expect(b.hasAnyShared(["revoked:2"])).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(await a.markShared("revoked:2", 120)).toBe("deferred");
      redis = await redis.restart();
      await until(() => a.available && b.available, 10_000);
      let seen = false;
      const end = Date.now() + 5_000;
      while (!seen && Date.now() < end) {
        seen = await b.hasAnyShared(["revoked:2"]);
        if (!seen) await new Promise((r) => setTimeout(r, 25));
      }
      expect(seen).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("deletes while Redis is unreachable (the network cut, Redis keeps its data)", () => {
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await startTcpProxy(redis.port);
  });
  afterAll(() => proxy.close());

  it("are replayed when it returns: a token partition deleted during the outage is gone from Redis, and a later write is not undone", async () => {
    const a = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}`, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 10 }) });
    const raw = new Redis(redis.url);
    try {
      await until(() => a.available);
      await a.set("partition-signed-out", "refresh token", 600);
      await a.set("partition-rewritten", "old tokens", 600);
      await proxy.cut();
      await until(() => !a.available);
      await a.delete("partition-signed-out");
      await a.delete("partition-rewritten");
      expect(await raw.exists("ms-identity-nextjs:partition-signed-out")).toBe(1); // Redis could not be told

      await proxy.restore();
      await until(() => a.available, 10_000);
      // Both deletes are replayed (one after the other: wait for the pair, not the first).
      await until(async () => (await raw.exists("ms-identity-nextjs:partition-signed-out", "ms-identity-nextjs:partition-rewritten")) === 0);
      await a.set("partition-rewritten", "new tokens", 600);
      await new Promise((r) => setTimeout(r, 100));
      expect(await a.get("partition-rewritten")).toBe("new tokens");
    } finally {
      raw.disconnect();
      await a.close();
    }
  });
});

describe("MemoryStore shared records", () => {
  it("are the process's own (one instance): stored, found, expired", async () => {
    let now = 1_000_000;
    const store = new MemoryStore({ maxEntries: 2, now: () => now });
    expect(await store.markShared("r", 60)).toBe("stored");
    // token partitions churning through the small LRU do not evict revocation records
    for (let i = 0; i < 10; i++) await store.set(`p${i}`, "x", 60);
    expect(await store.hasAnyShared(["q", "r"])).toBe(true);
    now += 61_000;
    expect(await store.hasAnyShared(["r"])).toBe(false);
  });

  it("are never evicted to make room (a flood of sign-ins cannot bring a revoked session back)", async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    await store.markShared("revoked-first", 3600);
    for (let i = 0; i < 100_001; i++) await store.markShared(`other-${i}`, 3600);
    expect(await store.hasAnyShared(["revoked-first"])).toBe(true);
  });
});

