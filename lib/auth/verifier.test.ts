import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { AppConfig } from "@/lib/config";
import { ApiError } from "@/lib/errors";
import { setLogSink } from "@/lib/http/log";
import { OpenIdMetadataCache } from "./discovery";
import { TokenVerifier } from "./verifier";

// A minimal OpenID provider over plain HTTP: discovery + JWKS with switchable keys and outages.
const HOME = "11111111-1111-4111-8111-111111111111";
const PARTNER = "22222222-2222-4222-8222-222222222222";
const STRANGER = "33333333-3333-4333-8333-333333333333";
const API = "44444444-4444-4444-8444-444444444444";
const OID = "55555555-5555-4555-8555-555555555555";
const CLI = "66666666-6666-4666-8666-666666666666";

let server: Server;
let host: string;
let published: JWK[] = [];
let jwksHits = 0;
let jwksDown = false;
let discoveryDown = false;
const keys: Record<string, { privateKey: CryptoKey; jwk: JWK }> = {};

async function newKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  keys[kid] = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" } };
  return keys[kid];
}

let restoreLogs: () => void;
beforeAll(async () => {
  restoreLogs = setLogSink(() => undefined);
  server = createServer((req, res) => {
    const url = req.url ?? "";
    const tenant = url.split("/")[1];
    if (url.endsWith("/.well-known/openid-configuration")) {
      if (discoveryDown) return res.writeHead(503).end();
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(
        JSON.stringify({
          issuer: `${host}/${tenant}/v2.0`,
          jwks_uri: `${host}/${tenant}/discovery/v2.0/keys`,
          token_endpoint: `${host}/${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${host}/${tenant}/oauth2/v2.0/authorize`,
        }),
      );
    }
    if (url.endsWith("/discovery/v2.0/keys")) {
      jwksHits++;
      if (jwksDown) return res.writeHead(503).end();
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ keys: published }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  host = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  published = [(await newKey("k1")).jwk];
});
afterAll(async () => {
  restoreLogs();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  jwksDown = false;
  discoveryDown = false;
});

function config(): AppConfig {
  return {
    mode: "emulator",
    publicUrl: { baseUrl: undefined, trustForwardedHeaders: true },
    tenantId: HOME,
    authorityHost: host,
    authority: `${host}/${HOME}`,
    signInAuthority: `${host}/organizations`,
    knownAuthorities: [],
    allowedTenants: [HOME, PARTNER],
    allowedClientIds: ["spa", CLI],
    spa: { clientId: "s", redirectPath: "/redirect" },
    api: { clientId: API, appIdUri: `api://${API}`, scope: `api://${API}/access_as_user`, scopeName: "access_as_user", credential: { kind: "secret", secret: "x" }, clientCapabilities: [] },
    web: null,
    cli: null,
    downstream: { graph: { name: "graph", baseUrl: "https://g", scopes: [] }, arm: { name: "arm", baseUrl: "https://a", scopes: [] } },
    session: { password: "x".repeat(32), maxAgeSeconds: 3600 },
    redis: null,
    tokenCache: { maxUsers: 100 },
    http: { timeoutMs: 1000, maxRetries: 0, maxRetryAfterSeconds: 1 },
    health: { details: false },
    authorization: {
      rolesEnforced: true,
      views: { subscriptions: { role: "Subscriptions.Read", groupIds: [], authContext: undefined }, directory: { role: "Directory.Read", groupIds: [], authContext: undefined } },
    },
  };
}

function verifier(options: ConstructorParameters<typeof TokenVerifier>[2] = {}) {
  return new TokenVerifier(config(), new OpenIdMetadataCache({ authorityHost: host, failureTtlMs: 0 }), options);
}

async function token(claims: Record<string, unknown> = {}, kid = "k1", tid = HOME): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const key = keys[kid] ?? (await newKey(kid)); // unpublished keys sign "unknown kid" tokens
  return new SignJWT({ aud: `api://${API}`, iss: `${host}/${tid}/v2.0`, tid, oid: OID, sub: "s", scp: "access_as_user", ver: "2.0", azp: "spa", iat: now, nbf: now, exp: now + 600, jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
    .sign(key.privateKey);
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof ApiError) return `${e.status} ${e.code}: ${e.detail}`;
    throw e;
  }
}

describe("TokenVerifier", () => {
  it("accepts a valid token, memoizes it, and keeps the assertion out of serialization", async () => {
    const v = verifier();
    const t = await token({ name: "Adele", preferred_username: "adele@contoso", xms_cc: ["cp1"] });
    const first = await v.verify(t);
    expect(first.memoized).toBe(false);
    expect(first.caller).toMatchObject({ oid: OID, tid: HOME, name: "Adele", username: "adele@contoso", scopes: ["access_as_user"], clientCapabilities: ["cp1"] });
    expect(first.caller.assertion).toBe(t);
    expect(JSON.stringify(first.caller)).not.toContain(t);
    expect({ ...first.caller }).not.toHaveProperty("assertion");
    const second = await v.verify(t);
    expect(second.memoized).toBe(true);
    expect(second.caller).toBe(first.caller);
  });

  it("shares the memo between verifiers of equal configurations (proxy.ts and handlers are separate bundles)", async () => {
    const t = await token();
    expect((await verifier().verify(t)).memoized).toBe(false);
    expect((await verifier().verify(t)).memoized).toBe(true); // another instance, another config object
    const other = new TokenVerifier({ ...config(), allowedTenants: [HOME] }, new OpenIdMetadataCache({ authorityHost: host }));
    expect((await other.verify(t)).memoized).toBe(false); // different verification settings: no sharing
  });

  it("accepts the client id as audience too", async () => {
    expect(await failure(verifier().verify(await token({ aud: API })))).toBe("ok");
  });

  it("multi-tenant: {tid}-templated issuer for allowed tenants only", async () => {
    const v = verifier();
    expect(await failure(v.verify(await token({}, "k1", PARTNER)))).toBe("ok");
    expect(await failure(v.verify(await token({}, "k1", STRANGER)))).toMatch(new RegExp(`^403 tenant_not_allowed: Your organization \\(tenant ${STRANGER}\\)`));
    expect(await failure(v.verify(await token({ iss: `${host}/${HOME}/v2.0` }, "k1", PARTNER)))).toMatch(/^401 invalid_token: .*unexpected issuer/);
    // a stranger's token with a mismatched issuer is an invalid token, not a tenant question
    expect(await failure(v.verify(await token({ iss: `${host}/${HOME}/v2.0` }, "k1", STRANGER)))).toMatch(/^401 invalid_token: .*unexpected issuer/);
  });

  it("rejects what it must", async () => {
    const v = verifier();
    const now = Math.floor(Date.now() / 1000);
    expect(await failure(v.verify(await token({ exp: now - 120 })))).toMatch(/^401 invalid_token: The token has expired/);
    expect(await failure(v.verify(await token({ nbf: now + 600, exp: now + 1200 })))).toMatch(/^401 invalid_token: The token is not valid yet/);
    expect(await failure(v.verify(await token({ exp: now - 30 })))).toBe("ok"); // within the 60 s skew
    expect(await failure(v.verify(await token({ aud: "api://someone-else" })))).toMatch(/^401 invalid_token: .*different audience/);
    expect(await failure(v.verify(await token({ ver: "1.0" })))).toMatch(/^401 invalid_token: Token version/);
    expect(await failure(v.verify(await token({ scp: "User.Read" })))).toMatch(/^403 insufficient_scope/);
    expect(await failure(v.verify(await token({ scp: undefined, roles: ["Data.Read"], idtyp: "app" })))).toMatch(/^403 insufficient_scope: This endpoint acts on behalf of a signed-in user/);
    expect(await failure(v.verify(await token({ oid: undefined })))).toMatch(/^401 invalid_token/);
  });

  it("accepts only the allowed client applications (azp), case-insensitively (issue #14 item 10)", async () => {
    const v = verifier();
    expect(await failure(v.verify(await token({ azp: CLI.toUpperCase() })))).toBe("ok");
    const relay = await failure(v.verify(await token({ azp: "77777777-7777-4777-8777-777777777777" })));
    expect(relay).toMatch(/^403 client_not_allowed: The application 77777777-7777-4777-8777-777777777777 is not allowed to call this API/);
    expect(await failure(v.verify(await token({ azp: undefined })))).toMatch(/^401 invalid_token: .*azp/);
    // the allow-list is checked at every call, memoized or not: allowing the relay in one place does not allow it everywhere
    const lenient = new TokenVerifier({ ...config(), allowedClientIds: ["spa", CLI, "77777777-7777-4777-8777-777777777777"] }, new OpenIdMetadataCache({ authorityHost: host }));
    expect(await failure(lenient.verify(await token({ azp: "77777777-7777-4777-8777-777777777777" })))).toBe("ok");
    const strictAgain = await token({ azp: "77777777-7777-4777-8777-777777777777", jti: "shared" });
    expect(await failure(lenient.verify(strictAgain))).toBe("ok");
    expect(await failure(v.verify(strictAgain))).toMatch(/^403 client_not_allowed/);
  });

  it("takes the allowed clients per call: the web app's in-process use does not open the HTTP API to it (issue #21)", async () => {
    const v = verifier();
    const web = "88888888-8888-4888-8888-888888888888";
    const t = await token({ azp: web });
    expect(await failure(v.verify(t, { allowedClientIds: [web] }))).toBe("ok");
    expect(await failure(v.verify(t))).toMatch(/^403 client_not_allowed/); // memoized now, still refused here
    expect(await failure(v.verify(t, { allowedClientIds: [web] }))).toBe("ok");
  });

  it("reads the claims authorization needs: roles, groups (listed, overage, absent) and acrs (issue #21)", async () => {
    const v = verifier();
    const group = "7AECBC7B-1023-441D-9A1A-3B12F43441EA";
    const listed = (await v.verify(await token({ roles: ["Subscriptions.Read"], groups: [group], acrs: ["C1"] }))).caller;
    expect(listed).toMatchObject({ roles: ["Subscriptions.Read"], groups: [group.toLowerCase()], groupClaims: "listed", authContexts: ["c1"] });
    const overage = (await v.verify(await token({ _claim_names: { groups: "src1" }, _claim_sources: { src1: { endpoint: "https://graph.windows.net/x/users/y/getMemberObjects" } } }))).caller;
    expect(overage).toMatchObject({ roles: [], groups: [], groupClaims: "overage", authContexts: [] });
    expect((await v.verify(await token({ hasgroups: true }))).caller.groupClaims).toBe("overage");
    expect((await v.verify(await token())).caller).toMatchObject({ roles: [], groups: [], groupClaims: "absent", authContexts: [] });
    // _claim_names for other claims only: no group overage
    expect((await v.verify(await token({ _claim_names: { other: "src1" } }))).caller.groupClaims).toBe("absent");
  });

  it("refuses malformed authorization claims with 401 invalid_token, never ignores them (issue #21)", async () => {
    const v = verifier();
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ roles: "Subscriptions.Read" }, /roles claim is malformed: it must be an array of strings/],
      [{ roles: [1] }, /roles claim is malformed/],
      [{ roles: [""] }, /roles claim is malformed/],
      [{ groups: "7aecbc7b-1023-441d-9a1a-3b12f43441ea" }, /groups claim is malformed/],
      [{ groups: ["7aecbc7b-1023-441d-9a1a-3b12f43441ea"], hasgroups: true }, /both lists groups and says the user has too many/],
      [{ groups: [], _claim_names: { groups: "src1" } }, /both lists groups and says the user has too many/],
      [{ hasgroups: "true" }, /hasgroups claim is malformed/],
      [{ hasgroups: false }, /hasgroups claim is malformed/],
      [{ _claim_names: ["groups"] }, /_claim_names claim is malformed/],
      [{ _claim_names: { groups: 1 } }, /_claim_names.groups is malformed/],
      [{ acrs: "c1" }, /acrs claim is malformed/],
      [{ acrs: ["c1", "mfa"] }, /acrs claim is malformed: authentication context ids are c1 to c99/],
      [{ acrs: [{ value: "c1" }] }, /acrs claim is malformed/],
    ];
    for (const [claims, expected] of cases) {
      const result = await failure(v.verify(await token(claims)));
      expect(result).toMatch(/^401 invalid_token: /);
      expect(result).toMatch(expected);
    }
  });

  it("refetches the key set on an unknown kid, at most once per cooldown", async () => {
    const v = verifier({ jwksCooldownMs: 60_000 });
    await v.verify(await token());
    const before = jwksHits;
    expect(await failure(v.verify(await token({}, "rogue")))).toMatch(/^401 invalid_token: The token was signed with an unknown key/);
    expect(await failure(v.verify(await token({ jti: "2" }, "rogue2")))).toMatch(/unknown key/);
    // jose refetches only when the set is older than the cooldown: the first fetch was just now
    expect(jwksHits - before).toBe(0);
  });

  it("picks up a rotated key (unknown kid → refetch) and keeps verifying with cached keys while the JWKS is down", async () => {
    const v = verifier({ jwksCooldownMs: 0 });
    await v.verify(await token());
    const k2 = await newKey("k2");
    published = [...published, k2.jwk];
    expect(await failure(v.verify(await token({}, "k2")))).toBe("ok");
    jwksDown = true;
    expect(await failure(v.verify(await token({ jti: "fresh" }, "k1")))).toBe("ok"); // cached key, no fetch needed
    // an unknown kid while the JWKS is down: the keys we have work, the token is not signed by one
    expect(await failure(v.verify(await token({}, "k3-unpublished")))).toMatch(/^401 invalid_token: The token was signed with an unknown key/);
  });

  it("while the JWKS is down, unknown kids are 401 and cost at most one refetch per cooldown", async () => {
    const v = verifier({ jwksCooldownMs: 300 });
    const unknown = [await token({}, "x1"), await token({}, "x2"), await token({}, "x3")]; // key generation is slow
    await v.verify(await token({ jti: "loads-the-key-set" }));
    await new Promise((r) => setTimeout(r, 350)); // past jose's cooldown after that fetch
    jwksDown = true;
    const before = jwksHits;
    for (const t of unknown) {
      expect(await failure(v.verify(t))).toMatch(/^401 invalid_token: The token was signed with an unknown key/);
    }
    expect(jwksHits - before).toBe(1);
    expect(await failure(v.verify(await token({ jti: "known-key" })))).toBe("ok");
  });

  // Issue #14 item 5: requests anyone can send (any kid, /api/health) must not drive a fetch each.
  // The back-off reads a test clock; jose's own timers are not involved.
  it("while the key set has never loaded and the JWKS endpoint is down, backs off instead of fetching per request", async () => {
    let now = 1_000_000;
    const v = verifier({ jwksBackoffMs: { initial: 1_000, max: 8_000 }, clock: () => now });
    const tokens = [await token({ jti: "a" }), await token({ jti: "b" }, "other-kid"), await token({ jti: "c" })];
    jwksDown = true;
    const before = jwksHits;
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) answers.push(await failure(v.verify(tokens[i % 3] ?? "")));
    expect(answers.every((a) => a.startsWith("503 key_set_unavailable"))).toBe(true);
    expect(jwksHits - before).toBe(1);
    // after the first back-off, concurrent requests share one attempt
    now += 1_000;
    await Promise.all(tokens.map((t) => v.verify(t).catch(() => undefined)));
    expect(jwksHits - before).toBe(2);
    // the back-off doubles: nothing within 2 s of the second failure, one attempt after, and recovery
    now += 1_999;
    expect(await failure(v.verify(tokens[0] ?? ""))).toMatch(/^503 key_set_unavailable/);
    expect(jwksHits - before).toBe(2);
    jwksDown = false;
    now += 1;
    expect(await failure(v.verify(tokens[0] ?? ""))).toBe("ok");
    expect(jwksHits - before).toBe(3);
  });

  it("says when to retry while backing off (Retry-After), capped", async () => {
    let now = 1_000_000;
    const v = verifier({ jwksBackoffMs: { initial: 1_000, max: 4_000 }, clock: () => now });
    jwksDown = true;
    const t = await token();
    const retryAfter = async () => {
      try {
        await v.verify(t);
      } catch (e) {
        return (e as ApiError).retryAfterSeconds;
      }
    };
    expect(await retryAfter()).toBe(1);
    for (const step of [1_000, 2_000, 4_000, 4_000]) {
      now += step;
      expect(await retryAfter()).toBe(Math.min(step * 2, 4_000) / 1000);
    }
  });

  it("health checks (checkKeySet) back off the same way, and need no fetch once keys are loaded", async () => {
    let now = 1_000_000;
    const v = verifier({ jwksBackoffMs: { initial: 1_000, max: 8_000 }, clock: () => now });
    jwksDown = true;
    const before = jwksHits;
    for (let i = 0; i < 10; i++) await expect(v.checkKeySet()).rejects.toBeTruthy();
    expect(jwksHits - before).toBe(1);
    jwksDown = false;
    now += 1_000;
    expect((await v.checkKeySet()).keys).toBeGreaterThan(0);
    expect(jwksHits - before).toBe(2);
    jwksDown = true;
    for (let i = 0; i < 5; i++) expect((await v.checkKeySet()).keys).toBeGreaterThan(0);
    expect(jwksHits - before).toBe(2);
  });

  it("answers 503 when discovery is down, and recovers", async () => {
    const v = verifier();
    discoveryDown = true;
    expect(await failure(v.verify(await token()))).toMatch(/^503 key_set_unavailable/);
    discoveryDown = false;
    expect(await failure(v.verify(await token()))).toBe("ok");
  });

  it("costs little per call once memoized", async () => {
    const v = verifier();
    const t = await token();
    const t0 = performance.now();
    await v.verify(t);
    const full = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 1000; i++) await v.verify(t);
    const memo = (performance.now() - t1) / 1000;
    expect(memo).toBeLessThan(full);
    expect(memo).toBeLessThan(0.2);
  });
});
