import Redis from "ioredis";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { startRedisServer, type RedisServer } from "@/lib/testing/redis-server";
import { createValueCipher } from "./crypto";
import { MemoryStore } from "./memory-store";
import { RedisStore } from "./redis-store";

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

const until = async (cond: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
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
      // entries written during the outage are still served (from memory) after recovery
      expect(await store.get("during-3")).toBe("3");
      await store.set("after", "2", 60);
      const raw = new Redis(redis.url);
      expect(await raw.exists("ms-identity-nextjs:after")).toBe(1);
      raw.disconnect();
      expect(logs.filter((l) => l.event === "token_cache.redis_unavailable")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
