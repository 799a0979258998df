/**
 * Session revocations through a Redis outage (issue #22 §4 finding 1). The outage is a cut network
 * (a TCP relay in front of a real redis-server), so what Redis held before it is still there after:
 * what is asserted is what the app wrote, or failed to write, meanwhile.
 */
import { randomUUID } from "node:crypto";
import { MemoryStore, RedisStore } from "@/lib/cache";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { startRedisServer, type RedisServer } from "@/test-support/redis-server";
import { startTcpProxy, type TcpProxy } from "@/test-support/tcp-proxy";
import { SessionRevocations } from "./revocation";

const KEY = "k".repeat(40);
const TTL = 3600;
let redis: RedisServer;
let proxy: TcpProxy;
let logs: LogRecord[] = [];
let restoreLog: () => void;

beforeAll(async () => {
  redis = await startRedisServer();
  proxy = await startTcpProxy(redis.port);
});
afterAll(async () => {
  await proxy.close();
  await redis.kill();
});
beforeEach(() => {
  logs = [];
  restoreLog = setLogSink((r) => logs.push(r));
});
afterEach(async () => {
  restoreLog();
  await proxy.restore().catch(() => undefined); // a failed test may leave the network cut
});

const until = async (cond: () => boolean | Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** An instance of the app: its own Redis connection and memory. */
function instance(options: { maxDeferredBoundedRecords?: number } = {}) {
  const store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}`, encryptionKey: KEY, fallback: new MemoryStore({ maxEntries: 100 }), ...options });
  return { store, revocations: new SessionRevocations(store, TTL) };
}

describe("session revocations while Redis is unreachable", () => {
  it("a flood of unknown identity-provider session ids is answered 'unavailable' and queues nothing, so a sign-out made meanwhile is never evicted", async () => {
    const a = instance();
    const b = instance();
    try {
      await until(() => a.store.available && b.store.available);
      await proxy.cut();
      await until(() => !a.store.available && !b.store.available);

      expect(await a.revocations.revokeSession("signed-out-during-the-outage")).toBe("deferred");
      // What an attacker can send to the unauthenticated front-channel URL (it is rate limited too).
      const outcomes = new Map<string, number>();
      for (let i = 0; i < 10_001; i++) {
        const outcome = await a.revocations.revokeIdpSession(randomUUID());
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      expect(Object.fromEntries(outcomes)).toEqual({ unavailable: 10_001 });

      await proxy.restore();
      await until(() => a.store.available && b.store.available);
      // The sign-out holds on every instance once Redis is back.
      await until(() => b.revocations.isRevoked({ sessionId: "signed-out-during-the-outage" }));
    } finally {
      await a.store.close();
      await b.store.close();
    }
  });

  it("an identity-provider session established on this instance is ended during the outage, on every instance once Redis is back", async () => {
    const a = instance();
    const b = instance();
    try {
      await until(() => a.store.available && b.store.available);
      const sid = randomUUID();
      expect(await a.revocations.rememberIdpSession(sid)).toBe("stored");
      await proxy.cut();
      await until(() => !a.store.available && !b.store.available);

      expect(await a.revocations.revokeIdpSession(sid)).toBe("deferred");
      // Instance B never saw that sign-in, and cannot ask Redis: it does not claim to have ended it.
      expect(await b.revocations.revokeIdpSession(sid)).toBe("unavailable");

      await proxy.restore();
      await until(() => a.store.available && b.store.available);
      await until(() => b.revocations.isRevoked({ sessionId: "another-session", idpSessionId: sid }));
    } finally {
      await a.store.close();
      await b.store.close();
    }
  });

  it("identity-provider sign-outs wait in their own bounded queue: when it is full the next is refused, and no session record is dropped", async () => {
    const a = instance({ maxDeferredBoundedRecords: 2 });
    try {
      await until(() => a.store.available);
      const sids = [randomUUID(), randomUUID(), randomUUID()];
      for (const sid of sids) await a.revocations.rememberIdpSession(sid);
      await proxy.cut();
      await until(() => !a.store.available);

      const sessions = Array.from({ length: 50 }, (_, i) => `session-${i}-${randomUUID()}`);
      for (const s of sessions.slice(0, 25)) expect(await a.revocations.revokeSession(s)).toBe("deferred");
      expect(await a.revocations.revokeIdpSession(sids[0]!)).toBe("deferred");
      expect(await a.revocations.revokeIdpSession(sids[1]!)).toBe("deferred");
      expect(await a.revocations.revokeIdpSession(sids[2]!)).toBe("refused");
      for (const s of sessions.slice(25)) expect(await a.revocations.revokeSession(s)).toBe("deferred");
      expect(logs.filter((l) => l.event === "token_cache.deferred_records_dropped")).toEqual([]);

      await proxy.restore();
      await until(() => a.store.available);
      await until(() => a.revocations.isRevoked({ sessionId: sessions[0]! }));
      for (const s of sessions) expect(await a.revocations.isRevoked({ sessionId: s })).toBe(true);
      expect(await a.revocations.isRevoked({ sessionId: "x", idpSessionId: sids[0]! })).toBe(true);
      expect(await a.revocations.isRevoked({ sessionId: "x", idpSessionId: sids[1]! })).toBe(true);
      expect(await a.revocations.isRevoked({ sessionId: "x", idpSessionId: sids[2]! })).toBe(false);
    } finally {
      await a.store.close();
    }
  });
});
