/**
 * On-Behalf-Of with real msal-node against the identity emulator: credentials, per-user
 * partitions, single-flight, Redis shared by two instances, Redis outage.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { decodeJwt } from "jose";
import { startEmulator, type RunningEmulator } from "@/emulator";
import { OpenIdMetadataCache, TokenVerifier, type Caller } from "@/lib/auth";
import { MemoryStore, RedisStore, type CacheStore } from "@/lib/cache";
import type { AppConfig } from "@/lib/config";
import { ApiError } from "@/lib/errors";
import { setLogSink, type LogRecord } from "@/lib/http/log";
import { EmulatorControl } from "@/test-support/emulator-control";
import { emulatorConfig, TEST_SECRET, type EmulatorCredential } from "@/test-support/emulator-config";
import { startRedisServer, type RedisServer } from "@/test-support/redis-server";
import { OboTokenService } from "./obo";

let emulator: RunningEmulator;
let control: EmulatorControl;
let logs: LogRecord[] = [];
let restoreLogs: () => void;
let userSeq = 0;

beforeAll(async () => {
  restoreLogs = setLogSink((r) => logs.push(r));
  emulator = await startEmulator({ port: 0, tenantFile: join(mkdtempSync(join(tmpdir(), "obo-emulator-")), "tenant.json") });
  control = new EmulatorControl(emulator.tenant);
  await control.createUsers(2001, 300); // caller()'s load users
});
afterAll(async () => {
  await emulator?.close();
  restoreLogs?.();
});
beforeEach(() => {
  logs = [];
});

function config(credential: EmulatorCredential = "secret", overrides: Record<string, string> = {}): AppConfig {
  return emulatorConfig(emulator.tenant, { credential, overrides });
}

function service(cfg: AppConfig, store: CacheStore = new MemoryStore({ maxEntries: 100 })): OboTokenService {
  return new OboTokenService(cfg, { store, metadata: new OpenIdMetadataCache({ authorityHost: cfg.authorityHost }) });
}

/** A verified caller for a fresh synthetic user, as a route handler would have it. */
async function caller(cfg: AppConfig, username = `loaduser${2000 + ++userSeq}@contoso.test`): Promise<Caller> {
  const minted = await control.mint({ username, clientId: emulator.tenant.apps.spa.clientId, scopes: [emulator.tenant.apps.api.scope] });
  const verifier = new TokenVerifier(cfg, new OpenIdMetadataCache({ authorityHost: cfg.authorityHost }));
  return (await verifier.verify(minted.access_token)).caller;
}

const oboCount = () => control.oboCount(emulator.tenant.apps.api.clientId);
const cid = () => crypto.randomUUID();

describe.each<EmulatorCredential>(["secret", "certificate", "managedIdentity"])("credential: %s", (credential) => {
  it("acquires a Graph token On-Behalf-Of the caller, then serves it from the cache", async () => {
    const cfg = config(credential);
    const tokens = service(cfg);
    const who = await caller(cfg);
    const before = await oboCount();
    const first = await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
    expect(first.source).toBe("miss");
    const claims = decodeJwt(first.accessToken);
    expect(claims.aud).toBe("https://graph.microsoft.com");
    expect(claims.oid).toBe(who.oid);
    expect(claims.scp).toContain("User.Read");
    const second = await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
    expect(second.source).toBe("hit");
    expect(second.accessToken).toBe(first.accessToken);
    expect((await oboCount()) - before).toBe(1);
  });
});

describe("hot cache in front of MSAL", () => {
  it("answers a repeat call with the same assertion without loading the partition; evict() bypasses it", async () => {
    const cfg = config();
    const store = new MemoryStore({ maxEntries: 100 });
    let reads = 0;
    const counting: CacheStore = {
      kind: "memory",
      get: (k) => {
        reads++;
        return store.get(k);
      },
      set: (k, v, ttl) => store.set(k, v, ttl),
      delete: (k) => store.delete(k),
      close: () => store.close(),
      evictionCounts: () => store.evictionCounts(),
    };
    const tokens = service(cfg, counting);
    const who = await caller(cfg);
    const first = await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
    const readsAfterMiss = reads;
    const hit = await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
    expect(hit).toMatchObject({ source: "hit", accessToken: first.accessToken });
    expect(reads).toBe(readsAfterMiss); // no MSAL client, no partition load
    // a new assertion for the same user is not served from the hot entry of the old one
    const renewed = await caller(cfg, who.username);
    expect(renewed.assertion).not.toBe(who.assertion);
    await tokens.acquire(renewed, cfg.downstream.graph, { correlationId: cid() });
    expect(reads).toBeGreaterThan(readsAfterMiss);
    await tokens.evict(who, cfg.downstream.graph.scopes);
    const before = await oboCount();
    expect((await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() })).source).toBe("miss");
    expect((await oboCount()) - before).toBe(1);
  });
});

describe("the cache's evictions (counted for /api/health's details and the soak)", () => {
  it("a token due for renewal leaves the hot cache when its user comes back (an eviction, then one token request); the memory store's cap evicts too", async () => {
    const cfg = config();
    const store = new MemoryStore({ maxEntries: 1 });
    const tokens = service(cfg, store);
    const who = await caller(cfg);
    const { tokenLifetimeSeconds } = await control.settings({});
    // MSAL and the hot cache renew a token 300 s before it expires: this one is due after 1 s
    await control.settings({ tokenLifetimeSeconds: 301 });
    try {
      await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
      expect((await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() })).source).toBe("hit");
      expect(tokens.cacheEvictions()).toEqual({ expired: 0, overCap: 0 });
      await new Promise((r) => setTimeout(r, 2_100)); // MSAL rounds expiries to whole seconds
      const before = await oboCount();
      expect((await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() })).source).toBe("miss");
      expect((await oboCount()) - before).toBe(1);
      expect(tokens.cacheEvictions()).toEqual({ expired: 1, overCap: 0 });
      // another partition in a 1-entry store pushes the first one out
      await tokens.acquire(who, cfg.downstream.arm, { correlationId: cid() });
      expect(tokens.cacheEvictions()).toEqual({ expired: 1, overCap: 1 });
    } finally {
      await control.settings({ tokenLifetimeSeconds: tokenLifetimeSeconds ?? 3600 });
    }
  });
});

describe("managed identity assertion", () => {
  it("fetches the managed identity token once for many token requests", async () => {
    const cfg = config("managedIdentity");
    const tokens = service(cfg);
    const msiBefore = (await control.counters()).msi as number;
    for (let i = 0; i < 3; i++) await tokens.acquire(await caller(cfg), cfg.downstream.graph, { correlationId: cid() });
    expect(((await control.counters()).msi as number) - msiBefore).toBe(1);
  });
});

describe("per-user partitions", () => {
  it("keeps one bounded partition per user and API, with no refresh tokens and no other user's data", async () => {
    const cfg = config();
    const store = new MemoryStore({ maxEntries: 100 });
    const tokens = service(cfg, store);
    const a = await caller(cfg);
    const b = await caller(cfg);
    for (const who of [a, b]) {
      await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
      await tokens.acquire(who, cfg.downstream.arm, { correlationId: cid() });
    }
    expect(store.size).toBe(4);
    const aGraph = await store.get(tokens.partitionKey(a, cfg.downstream.graph.scopes));
    expect(aGraph).toContain(a.oid);
    expect(aGraph).not.toContain(b.oid);
    expect(JSON.parse(aGraph ?? "{}").RefreshToken).toEqual({});
    expect(tokens.partitionKey(a, cfg.downstream.graph.scopes)).not.toContain(a.oid); // keys are hashed
  });

  it("is capped by the store (LRU): memory does not grow with users", async () => {
    const cfg = config();
    const store = new MemoryStore({ maxEntries: 3 });
    const tokens = service(cfg, store);
    for (let i = 0; i < 6; i++) await tokens.acquire(await caller(cfg), cfg.downstream.graph, { correlationId: cid() });
    expect(store.size).toBe(3);
  });

  it("single-flight: 10 concurrent first acquisitions make one token request", async () => {
    const cfg = config();
    const tokens = service(cfg);
    const who = await caller(cfg);
    const before = await oboCount();
    const results = await Promise.all(Array.from({ length: 10 }, () => tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() })));
    expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
    expect((await oboCount()) - before).toBe(1);
    expect(tokens.tokenRequests).toBe(1);
  });

  it("asks the caller's tenant, never /common", async () => {
    const cfg = config();
    const seen: string[] = [];
    const tokens = new OboTokenService(cfg, {
      store: new MemoryStore({ maxEntries: 10 }),
      metadata: new OpenIdMetadataCache({ authorityHost: cfg.authorityHost }),
      fetch: (input, init) => {
        seen.push(String(input instanceof Request ? input.url : input));
        return fetch(input, init);
      },
    });
    const who = await caller(cfg);
    await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() });
    const tokenCalls = seen.filter((u) => u.includes("/oauth2/v2.0/token")).map((u) => u.split("?")[0]);
    expect(tokenCalls).toEqual([`${cfg.authorityHost}/${who.tid}/oauth2/v2.0/token`]);
  });

  it("declares client capability cp1 when configured (CAE-ready tokens)", async () => {
    const cfg = config("secret", { AZURE_API_CLIENT_CAPABILITIES: "cp1" });
    const bodies: string[] = [];
    const tokens = new OboTokenService(cfg, {
      store: new MemoryStore({ maxEntries: 10 }),
      metadata: new OpenIdMetadataCache({ authorityHost: cfg.authorityHost }),
      fetch: (input, init) => {
        if (typeof init?.body === "string") bodies.push(init.body);
        return fetch(input, init);
      },
    });
    expect((await tokens.acquire(await caller(cfg), cfg.downstream.graph, { correlationId: cid() })).source).toBe("miss");
    const claims = new URLSearchParams(bodies[0]).get("claims");
    expect(JSON.parse(claims ?? "{}")).toMatchObject({ access_token: { xms_cc: { values: ["cp1"] } } });
    expect(new URLSearchParams(bodies[0]).get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:jwt-bearer");
    expect(new URLSearchParams(bodies[0]).get("requested_token_use")).toBe("on_behalf_of");
  });

  it("multi-tenant: a user of another allowed tenant gets a token from their own tenant", async () => {
    const second = emulator.tenant.secondTenantId;
    const cfg = config("secret", { AZURE_ALLOWED_TENANTS: second });
    const tokens = service(cfg);
    const guest = await caller(cfg, "ben.walters@fabrikam.test");
    expect(guest.tid).toBe(second);
    const t = await tokens.acquire(guest, cfg.downstream.graph, { correlationId: cid() });
    expect(decodeJwt(t.accessToken).tid).toBe(second);
    // Graph's tokens are v1.0: the tenant is in the v1 issuer.
    expect(decodeJwt(t.accessToken).iss).toBe(`https://sts.windows.net/${second}/`);
  });

  it("maps a claims challenge and a missing consent to the API's errors", async () => {
    const cfg = config();
    const tokens = service(cfg);
    const mfaUser = await caller(cfg);
    await control.requireMfa(`loaduser${2000 + userSeq}@contoso.test`);
    const mfa = await tokens.acquire(mfaUser, cfg.downstream.graph, { correlationId: cid() }).catch((e: unknown) => e);
    expect(mfa).toBeInstanceOf(ApiError);
    expect((mfa as ApiError).code).toBe("insufficient_claims");
    expect((mfa as ApiError).challenge?.params?.find(([k]) => k === "authorization_uri")?.[1]).toBe(`${cfg.authorityHost}/${mfaUser.tid}/oauth2/v2.0/authorize`);

    const noConsent = await caller(cfg);
    await control.revokeConsent({ clientId: emulator.tenant.apps.api.clientId, username: `loaduser${2000 + userSeq}@contoso.test`, scopes: ["https://management.azure.com/user_impersonation"] });
    const consent = await tokens.acquire(noConsent, cfg.downstream.arm, { correlationId: cid() }).catch((e: unknown) => e);
    expect((consent as ApiError).code).toBe("consent_required");
    expect((consent as ApiError).scopes).toEqual(["https://management.azure.com/user_impersonation"]);
    // Graph consent is untouched for that user
    expect((await tokens.acquire(noConsent, cfg.downstream.graph, { correlationId: cid() })).source).toBe("miss");
  });

  it("a wrong client secret is a server misconfiguration, not the user's fault", async () => {
    const cfg = emulatorConfig(emulator.tenant, { overrides: { AZURE_API_CLIENT_SECRET: "wrong-secret" } });
    const err = await service(cfg)
      .acquire(await caller(cfg), cfg.downstream.graph, { correlationId: cid() })
      .catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(500);
    expect((err as ApiError).code).toBe("server_misconfigured");
    expect(JSON.stringify(logs)).not.toContain("wrong-secret");
  });
});

describe("shared Redis cache", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.kill();
  });

  const redisConfig = () => config("secret", { REDIS_URL: redis.url, TOKEN_CACHE_ENCRYPTION_KEY: TEST_SECRET });
  const redisStore = (cfg: AppConfig) => new RedisStore({ url: cfg.redis?.url ?? "", encryptionKey: cfg.redis?.encryptionKey ?? "", fallback: new MemoryStore({ maxEntries: 100 }) });

  it("a token acquired through instance A is reused by instance B (no second token request)", async () => {
    const cfg = redisConfig();
    const a = service(cfg, redisStore(cfg));
    const b = service(cfg, redisStore(cfg));
    const raw = new Redis(redis.url);
    try {
      const who = await caller(cfg);
      const before = await oboCount();
      const fromA = await a.acquire(who, cfg.downstream.graph, { correlationId: cid() });
      expect(fromA.source).toBe("miss");
      const fromB = await b.acquire(who, cfg.downstream.graph, { correlationId: cid() });
      expect(fromB.source).toBe("hit");
      expect(fromB.accessToken).toBe(fromA.accessToken);
      expect((await oboCount()) - before).toBe(1);

      // at rest: encrypted, and expiring with the token
      const key = `ms-identity-nextjs:${a.partitionKey(who, cfg.downstream.graph.scopes)}`;
      const stored = await raw.get(key);
      expect(stored).toMatch(/^v1\./);
      expect(stored).not.toContain(fromA.accessToken.slice(0, 20));
      const ttl = await raw.ttl(key);
      const exp = Math.floor(fromA.expiresOn.getTime() / 1000) - Math.floor(Date.now() / 1000);
      expect(Math.abs(ttl - exp)).toBeLessThanOrEqual(5);
    } finally {
      raw.disconnect();
      await a.close();
      await b.close();
    }
  });

  it("keeps working from memory with one warning when Redis goes away", async () => {
    const cfg = redisConfig();
    const tokens = service(cfg, redisStore(cfg));
    try {
      const known = await caller(cfg);
      await tokens.acquire(known, cfg.downstream.graph, { correlationId: cid() });
      await redis.kill();
      expect(tokens.cacheKind).toBe("redis+memory");
      const before = await oboCount();
      const users = [await caller(cfg), await caller(cfg), await caller(cfg)];
      for (const who of users) {
        expect((await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() })).source).toBe("miss");
        expect((await tokens.acquire(who, cfg.downstream.graph, { correlationId: cid() })).source).toBe("hit");
      }
      expect((await oboCount()) - before).toBe(3);
      expect(tokens.cacheDegraded).toBe(true);
      expect(logs.filter((l) => l.level === "warn").map((l) => l.event)).toEqual(["token_cache.redis_unavailable"]);
    } finally {
      await tokens.close();
      redis = await redis.restart();
    }
  });
});
