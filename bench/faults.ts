/**
 * `npm run test:faults`: the middle tier under steady load while its dependencies misbehave.
 * Every fault is injected through the emulator's control API or by stopping a process, and its
 * outcome asserted; the script prints, per fault, the requests sent, status counts and the
 * unexpected answers (must be 0), then `N passed, N failed`, and exits non-zero on a failure.
 *
 *   npx tsx scripts/with-emulator.ts tsx bench/faults.ts [--build] [--only=throttle,slow,redis,idp,rotation,jwks,overage,memo,"two instances"]
 *
 * The app runs from a copy of the production build (`npm run build` first, or pass --build) as
 * its own process, with Redis (our own redis-server on a free port), a small downstream timeout
 * and the default retry policy. The last case, "two instances" (bench/faults/two-instances.ts),
 * starts two more instances of the same build behind a front end on E2E_APP_SERVICE_PORT (an origin
 * the launcher registers with the emulator) on a Redis of its own. A new case is a function taking
 * the suite's Env, and one line in the list in main().
 */
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import http from "node:http";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import Redis from "ioredis";
import { startRedisServer, type RedisServer } from "../test-support/redis-server";
import { twoInstances } from "./faults/two-instances";
import { Control, loadTenant, type TenantDescription } from "./lib/emulator";
import { appEnv, freePort, openFds, probe, sleep, spawnServer, type Managed } from "./lib/proc";
import { buildIsStale, snapshotBuild } from "./lib/snapshot";
import { check, fmt, inside, overlaps, results, summarize } from "./lib/checks";
import { parseServerTiming } from "./lib/stats";
import { request, Traffic, type Answer, type Call } from "./lib/traffic";

const ROOT = process.cwd();
const DOWNSTREAM_TIMEOUT_MS = 1000;
const MAX_RETRIES = 2;
const MAX_RETRY_AFTER_SECONDS = 5;
/** Load users loaduser500001… are the suite's cached users; loaduser600001… its new users, one each. */
const CACHED_USERS_FIRST = 500_001;
/** jose's default: no JWKS refetch within this long after a successful one. */
const JWKS_COOLDOWN_MS = 30_000;

// ---------------------------------------------------------------------------------------------
// setup

interface Env {
  control: Control;
  tenant: TenantDescription;
  /** The deployed folder: a copy of .next/standalone. */
  standalone: string;
  app: Managed;
  redis: RedisServer;
  agent: http.Agent;
  cached: string[];
  /** Tokens for users the app has never seen (each used once). */
  fresh: () => Promise<string>;
  startedAt: number;
  /** When the app last fetched the JWKS successfully (start, or a refetch after rotation). */
  lastJwksFetch: number;
  /** A seeded user in more than 200 groups (their tokens carry the overage claim). */
  overageUser: string | undefined;
}

function cachedTraffic(env: Env): () => Call {
  let i = 0;
  return () => {
    const n = i++;
    return { path: n % 2 === 0 ? "/api/me" : "/api/subscriptions", token: env.cached[Math.floor(n / 2) % env.cached.length] ?? "", tag: n % 2 === 0 ? "cached/me" : "cached/subscriptions" };
  };
}

function logRecords(app: Managed): { level?: string; event?: string; [k: string]: unknown }[] {
  return app
    .logLines()
    .filter((l) => l.startsWith("{"))
    .map((l) => {
      try {
        return JSON.parse(l) as { level?: string; event?: string };
      } catch {
        return {};
      }
    });
}

/** A token our API would accept in every way except that no published key signed it. */
function forgeUnknownKidToken(template: string): string {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const payload = JSON.parse(Buffer.from(template.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  const header = { typ: "JWT", alg: "RS256", kid: `bench-unknown-${randomBytes(6).toString("hex")}` };
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

// ---------------------------------------------------------------------------------------------
// faults

/**
 * The app refetches its signing keys on an unknown `kid` at most once per cooldown (jose: 30 s
 * after a successful fetch). A long-running app fetched its keys long ago, and Entra publishes a
 * new key well before signing with it; the suite waits until the app's last JWKS request is
 * older than the cooldown, so it tests that steady state rather than the first 30 s of a process.
 */
async function waitForJwksCooldown(env: Env): Promise<void> {
  const wait = env.lastJwksFetch + JWKS_COOLDOWN_MS + 1000 - Date.now();
  if (wait > 0) {
    console.log(`   (waiting ${fmt(wait)} until the app's last JWKS request is older than the ${JWKS_COOLDOWN_MS / 1000} s refetch cooldown)`);
    await sleep(wait);
  }
}

async function graphThrottled(env: Env): Promise<void> {
  console.log("\n── Graph throttles (429 + Retry-After)");
  const { control, app, agent } = env;
  const token = env.cached[0] ?? "";

  // one throttled call per Graph request of /api/me (me + manager in parallel): retried once
  await control.fault({ target: "graph", mode: "throttle", retryAfter: 1, count: 2 });
  const once = await request(agent, app.origin, { path: "/api/me", token, tag: "single" });
  check(once.status === 200 && (once.attempts ?? 1) === 2 && once.ms >= 900 && once.ms < 3000, `a throttled call is retried after Retry-After and succeeds (${once.status} in ${fmt(once.ms)}, ${once.attempts ?? 1} attempts)`);

  // Retry-After beyond DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: no wait, 503 passing the server's Retry-After on
  await control.fault({ target: "graph", mode: "throttle", retryAfter: 30, count: 2 });
  const far = await request(agent, app.origin, { path: "/api/me", token, tag: "single" });
  check(far.status === 503 && far.code === "downstream_throttled" && far.retryAfter === "30" && far.ms < 1000, `Retry-After 30 s (> ${MAX_RETRY_AFTER_SECONDS} s bound) is not waited for: ${far.status} ${far.code ?? ""} Retry-After ${far.retryAfter ?? "–"} in ${fmt(far.ms)}`);
  await control.clearFaults();

  // under load: throttled until cleared → bounded retries, then 503 + Retry-After; ARM unaffected; recovers
  const traffic = new Traffic(app.origin, cachedTraffic(env)).start();
  await sleep(1000);
  const graph0At = Date.now();
  const graph0 = (await control.counters()).graph;
  // the window in which the fault was certainly on: from the control call's answer to the clearing call
  await control.fault({ target: "graph", mode: "throttle", retryAfter: 1 });
  const faultAt = Date.now();
  await sleep(4000);
  const clearedAt = Date.now();
  await control.clearFaults();
  const recoveredFrom = Date.now();
  const graph1 = (await control.counters()).graph;
  const counted = Date.now();
  await sleep(2000);
  const answers = await traffic.stop();

  const throttled = answers.filter((a) => a.status === 503);
  const unexpected = answers.filter((a) => !(a.status === 200 || (a.path === "/api/me" && a.status === 503 && a.code === "downstream_throttled" && a.retryAfter !== undefined)));
  summarize(answers, unexpected);
  // /api/me requests that started and finished while Graph throttled: there must be some
  const meDuring = answers.filter((a) => a.path === "/api/me" && inside(a, faultAt, clearedAt));
  check(meDuring.length > 0 && meDuring.every((a) => a.status === 503), `/api/me answers 503 downstream_throttled with Retry-After while Graph throttles (${meDuring.length} requests started and finished inside the fault window, ${throttled.length} 503 answers in all)`);
  const expectedWait = MAX_RETRIES * 1000;
  check(
    throttled.length > 0 && throttled.every((a) => a.attempts === MAX_RETRIES + 1 && a.ms >= expectedWait - 100 && a.ms < expectedWait + 1500),
    `each retried exactly ${MAX_RETRIES} times, waiting Retry-After (${throttled.length ? `latency ${fmt(Math.min(...throttled.map((a) => a.ms)))}–${fmt(Math.max(...throttled.map((a) => a.ms)))}` : "no throttled answers"})`,
  );
  // Graph calls counted between the two counter reads come only from /api/me requests in flight
  // then (me + manager, each at most 1 + MAX_RETRIES attempts)
  const meInWindow = answers.filter((a) => a.path === "/api/me" && overlaps(a, graph0At, counted)).length;
  const bound = meInWindow * 2 * (MAX_RETRIES + 1);
  check(meDuring.length > 0 && graph1 - graph0 <= bound, `Graph calls bounded by 2 × ${MAX_RETRIES + 1} per /api/me request in the window (${graph1 - graph0} calls for ${meInWindow} requests, bound ${bound})`);
  check(answers.filter((a) => a.path === "/api/subscriptions").every((a) => a.status === 200), "/api/subscriptions (ARM) keeps answering 200");
  const after = answers.filter((a) => a.startedAt >= recoveredFrom);
  check(after.length > 0 && after.every((a) => a.status === 200), `recovers once Graph stops throttling (${after.length} answers after, all 200)`);
}

/** Longer than Node's default keep-alive timeout (5 s) on both sides of the app's connections. */
const IDLE_CLOSE_MS = 6_000;

async function slowDownstream(env: Env): Promise<void> {
  console.log(`\n── Slow downstream (Graph answers after 3 s; DOWNSTREAM_TIMEOUT_MS=${DOWNSTREAM_TIMEOUT_MS})`);
  const { control, app } = env;
  const burst = async () => {
    const t = new Traffic(app.origin, cachedTraffic(env)).start();
    await sleep(1000);
    return t.stop();
  };
  // Sockets are counted once the app is idle: keep-alive connections (to the emulator, from the
  // traffic clients) close after Node's 5 s keep-alive timeout, so what is left is what nobody
  // will ever close. Counted right after a burst, the number would be the pool's size at that
  // moment, which depends on timing, not on leaks.
  const idleSockets = async () => {
    await sleep(IDLE_CLOSE_MS);
    return openFds(app.pid);
  };
  await burst();
  const before = await idleSockets();

  const traffic = new Traffic(app.origin, cachedTraffic(env)).start();
  await sleep(500);
  await control.fault({ target: "graph", mode: "slow", delayMs: 3000 });
  const faultAt = Date.now();
  await sleep(3500);
  const clearedAt = Date.now();
  await control.clearFaults();
  const recoveredFrom = Date.now();
  await sleep(1500);
  const answers = await traffic.stop();
  const during = openFds(app.pid);
  // let the emulator finish the delayed answers the app gave up on, then the same burst as before
  await sleep(3000);
  await burst();
  const after = await idleSockets();

  const timedOut = answers.filter((a) => a.status === 504);
  const unexpected = answers.filter((a) => !(a.status === 200 || (a.path === "/api/me" && a.status === 504 && a.code === "downstream_timeout")));
  summarize(answers, unexpected);
  const meDuring = answers.filter((a) => a.path === "/api/me" && inside(a, faultAt, clearedAt));
  check(meDuring.length > 0 && meDuring.every((a) => a.status === 504), `/api/me answers 504 downstream_timeout while Graph is slow (${meDuring.length} requests started and finished inside the fault window, ${timedOut.length} 504 answers in all)`);
  check(
    timedOut.every((a) => a.ms >= DOWNSTREAM_TIMEOUT_MS - 50 && a.ms < DOWNSTREAM_TIMEOUT_MS + 800),
    `504 after the configured timeout (${fmt(Math.min(...timedOut.map((a) => a.ms)))}–${fmt(Math.max(...timedOut.map((a) => a.ms)))}, timeout ${fmt(DOWNSTREAM_TIMEOUT_MS)})`,
  );
  check(answers.filter((a) => a.path === "/api/subscriptions").every((a) => a.status === 200), "/api/subscriptions (ARM) keeps answering 200");
  console.log(`   app sockets once idle: ${before.sockets} before, ${after.sockets} after the same burst (${during.sockets} right after the fault; fds ${before.total} → ${after.total}); ${timedOut.length} requests timed out`);
  check(after.sockets <= before.sockets + 3 && after.total <= before.total + 3, `no leaked connections (sockets ${before.sockets} → ${after.sockets})`);
  const recovered = answers.filter((a) => a.startedAt >= recoveredFrom);
  check(recovered.length > 0 && recovered.every((a) => a.status === 200), "recovers when Graph is fast again");
}

async function redisKilled(env: Env): Promise<void> {
  console.log("\n── Redis killed mid-run, then back");
  const { app } = env;
  // new users keep arriving (each one a token cache write, none in the app's memory): a pool
  // minted ahead covers the outage, and a minter keeps refilling it
  const pool: string[] = await Promise.all(Array.from({ length: 40 }, () => env.fresh()));
  let minting = true;
  const minter = (async () => {
    while (minting) {
      if (pool.length < 40) pool.push(await env.fresh());
      else await sleep(20);
    }
  })();
  let n = 0;
  const base = cachedTraffic(env);
  // mostly cached users, every 6th call a user the app has never seen when one is ready
  const traffic = new Traffic(app.origin, () => (++n % 6 === 0 && pool.length ? { path: "/api/me", token: pool.shift() ?? "", tag: "new/me" } : base())).start();
  await sleep(1000);
  const linesBefore = app.logLines().length;
  await env.redis.kill();
  const killedAt = Date.now();
  await sleep(3000);
  const health = await fetch(`${app.origin}/api/health`).then(async (r) => ({ httpStatus: r.status, ...((await r.json()) as { status?: string }) }));
  const restartedAt = Date.now(); // the outage's end for the checks below: Redis is started after it
  env.redis = await env.redis.restart();
  let restored = false;
  while (Date.now() - restartedAt < 15_000 && !restored) {
    restored = logRecords(app).some((r) => r.event === "token_cache.redis_restored");
    if (!restored) await sleep(100);
  }
  const restoredAfter = Date.now() - restartedAt;
  const client = new Redis(env.redis.url);
  const keysAtRestore = await client.dbsize();
  await sleep(2500);
  const answers = await traffic.stop();
  minting = false;
  await minter;
  const keysLater = await client.dbsize();
  client.disconnect();

  const unexpected = answers.filter((a) => a.status !== 200);
  summarize(answers, unexpected);
  const duringOutage = answers.filter((a) => inside(a, killedAt, restartedAt));
  check(duringOutage.length > 0 && duringOutage.every((a) => a.status === 200), `requests kept succeeding while Redis was down (${duringOutage.length} started and finished inside the outage, all 200)`);
  // users the app had never seen (in no cache of this process): answered from a token request, memory fallback
  const newUsers = duringOutage.filter((a) => a.tag === "new/me");
  const oboOf = (a: Answer) => parseServerTiming(a.serverTiming).get("obo")?.desc.join(",");
  console.log(`   requests for users not in the in-process cache that started and finished inside the outage: ${newUsers.length} (${newUsers.filter((a) => a.status === 200).length} answered 200, ${newUsers.filter((a) => oboOf(a) === "miss").length} with a token request)`);
  check(newUsers.length > 0 && newUsers.every((a) => a.status === 200 && oboOf(a) === "miss"), `users not in the in-process cache get 200 during the outage, through a token request (${newUsers.length} such requests)`);
  check(health.httpStatus === 200 && health.status === "degraded", `/api/health answers 200 "degraded" while Redis is down (${health.httpStatus} ${health.status ?? ""})`);
  const newLines = app
    .logLines()
    .slice(linesBefore)
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { level?: string; event?: string });
  const warnings = newLines.filter((r) => r.level === "warn");
  check(warnings.length === 1 && warnings[0]?.event === "token_cache.redis_unavailable", `exactly one warning logged (${warnings.map((w) => w.event).join(", ") || "none"})`);
  check(restored, `the app noticed Redis was back (token_cache.redis_restored after ${fmt(restoredAfter)})`);
  check(keysLater > keysAtRestore, `Redis is used again (keys ${keysAtRestore} → ${keysLater} while new users signed in)`);
}

async function idpDownForNewUser(env: Env): Promise<void> {
  console.log("\n── Identity provider down for a new user (token endpoint 503)");
  const { control, app, agent } = env;
  const newcomers = await Promise.all([env.fresh(), env.fresh(), env.fresh()]);
  const traffic = new Traffic(app.origin, cachedTraffic(env)).start();
  await sleep(800);
  await control.fault({ target: "token", mode: "down" });
  await sleep(300);
  const during: Answer[] = [];
  for (const token of newcomers) during.push(await request(agent, app.origin, { path: "/api/me", token, tag: "new/me" }));
  await sleep(1500);
  await control.clearFaults();
  const afterFix = await request(agent, app.origin, { path: "/api/me", token: newcomers[0] ?? "", tag: "new/me (after)" });
  await sleep(500);
  const answers = await traffic.stop();
  const all = [...answers, ...during, afterFix];
  const unexpected = [...answers.filter((a) => a.status !== 200), ...during.filter((a) => !(a.status === 503 && a.code === "idp_unavailable" && a.retryAfter)), ...(afterFix.status === 200 ? [] : [afterFix])];
  summarize(all, unexpected);
  check(during.every((a) => a.status === 503 && a.code === "idp_unavailable" && a.retryAfter !== undefined), `new users get 503 idp_unavailable with Retry-After (${during.map((a) => `${a.status} ${a.code ?? ""}`).join(", ")})`);
  check(answers.length > 0 && answers.every((a) => a.status === 200), `cached users keep working (${answers.length} answers, all 200)`);
  check(afterFix.status === 200, `the new user gets through once the identity provider is back (${afterFix.status})`);
}

async function jwksDown(env: Env): Promise<void> {
  console.log("\n── JWKS endpoint down (signing keys cached), then a token with an unknown kid");
  const { control, app, agent } = env;
  // A long-running app last fetched its keys long ago: jose would refetch on an unknown kid.
  await waitForJwksCooldown(env);
  const newcomers = await Promise.all(Array.from({ length: 8 }, () => env.fresh()));
  let n = 0;
  const base = cachedTraffic(env);
  const jwks0 = (await control.counters()).jwks;
  await control.fault({ target: "jwks", mode: "down" });
  // cached users, plus new tokens the app has not verified yet (signed with a known key)
  const traffic = new Traffic(app.origin, () => (++n % 5 === 0 && newcomers.length ? { path: "/api/me", token: newcomers.shift() ?? "", tag: "new token/me" } : base())).start();
  await sleep(2500);
  const jwks1 = (await control.counters()).jwks;

  const forged = forgeUnknownKidToken(env.cached[0] ?? "");
  const unknown: Answer[] = [];
  for (let i = 0; i < 10; i++) unknown.push(await request(agent, app.origin, { path: "/api/me", token: forged, tag: "unknown kid" }));
  const jwks2 = (await control.counters()).jwks;
  const sentWhileDown = unknown.length;
  await sleep(500);
  const answers = await traffic.stop();
  await control.clearFaults();
  env.lastJwksFetch = Date.now();
  // the same forged token with the JWKS endpoint back: still 401 (the key is not published)
  unknown.push(await request(agent, app.origin, { path: "/api/me", token: forged, tag: "unknown kid (JWKS up)" }));

  const all = [...answers, ...unknown];
  const unexpected = [...answers.filter((a) => a.status !== 200), ...unknown.filter((a) => !(a.status === 401 && a.code === "invalid_token" && /error="invalid_token"/.test(a.wwwAuthenticate ?? "")))];
  summarize(all, unexpected);
  check(answers.length > 0 && answers.every((a) => a.status === 200), `no failed requests while JWKS is down (${answers.length} answers incl. ${answers.filter((a) => a.tag === "new token/me").length} first-time tokens)`);
  check(jwks1 - jwks0 === 0, `no JWKS fetches needed for known keys (${jwks1 - jwks0})`);
  check(unknown.every((a) => a.status === 401), `unknown kid → 401 invalid_token (${[...new Set(unknown.map((a) => `${a.status} ${a.code ?? ""}`))].join(", ")})`);
  console.log(`   JWKS fetch attempts caused by ${sentWhileDown} unknown-kid requests while JWKS was down: ${jwks2 - jwks1}`);
  check(jwks2 - jwks1 <= 1, `unknown kids do not hammer a failing JWKS endpoint (${jwks2 - jwks1} fetches for ${sentWhileDown} requests)`);
  check(app.child.exitCode === null && (await probe(`${app.origin}/api/health`)) === 200, "no crash: the app is up and healthy");
}

/**
 * Microsoft Graph down while the API resolves a group overage (issue #21): the 250-group user's
 * token lists no groups, so /api/directory asks Graph's checkMemberGroups whether they are in the
 * configured group. While Graph is down the answer is 503 with Retry-After, never access (and no
 * 200); users whose token carries the role are not affected; once Graph is back the user gets in
 * (the failure was not remembered as a "no").
 */
async function graphDownDuringOverage(env: Env): Promise<void> {
  console.log("\n── Microsoft Graph down while resolving a group overage (the 250-group user, /api/directory)");
  const { control, app, agent } = env;
  const overage = env.overageUser;
  if (!overage) throw new Error("the tenant has no user in more than 200 groups");
  const token = await control.userToken(overage);
  // Retry-After beyond DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: answered at once, passing it on
  await control.fault({ target: "graph", mode: "down", status: 503, retryAfter: 30 });
  const answers: Answer[] = [];
  for (let i = 0; i < 8; i++) answers.push(await request(agent, app.origin, { path: "/api/directory", token, tag: "overage" }));
  const refused = answers.filter((a) => a.status === 503 && a.code === "downstream_unavailable" && a.retryAfter === "30");
  check(refused.length === answers.length, `every request refused with 503 downstream_unavailable and Retry-After 30 (${refused.length}/${answers.length}; statuses ${[...new Set(answers.map((a) => a.status))].join(", ")})`);
  check(answers.every((a) => a.status !== 200), "no access granted while Graph cannot say");
  await control.clearFaults();
  const back = await request(agent, app.origin, { path: "/api/directory", token, tag: "overage" });
  check(back.status === 200, `Graph back: the user gets in through the group (${back.status})`);
}

async function keyRotated(env: Env): Promise<void> {
  console.log("\n── Signing key rotated under load");
  const { control, app } = env;
  await waitForJwksCooldown(env);
  const traffic = new Traffic(app.origin, cachedTraffic(env)).start();
  await sleep(1000);
  const jwks0 = (await control.counters()).jwks;
  const rotated = await control.rotateKeys();
  const rotatedAt = Date.now();
  // clients renew: the same users' new tokens are signed with the new key
  const renewed = await control.apiTokens(CACHED_USERS_FIRST, env.cached.length);
  const fresh = await Promise.all(Array.from({ length: 4 }, () => env.fresh()));
  let n = 0;
  traffic.next = () => {
    const i = n++;
    if (i < fresh.length) return { path: "/api/me", token: fresh[i] ?? "", tag: "new key, new user" };
    return { path: i % 2 === 0 ? "/api/me" : "/api/subscriptions", token: renewed[i % renewed.length] ?? "", tag: "new key, renewed token" };
  };
  await sleep(3000);
  const answers = await traffic.stop();
  env.lastJwksFetch = Date.now();
  const jwks1 = (await control.counters()).jwks;
  const unexpected = answers.filter((a) => a.status !== 200);
  summarize(answers, unexpected);
  const kids = new Set([...renewed, ...fresh].map((t) => (JSON.parse(Buffer.from(t.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid?: string }).kid));
  check(kids.size === 1 && kids.has(rotated.kid), `the renewed and new users' tokens are signed with the new key (${rotated.kid.slice(0, 8)}…)`);
  const accepted = answers.filter((a) => a.startedAt >= rotatedAt && a.tag.startsWith("new key") && a.status === 200);
  console.log(`   tokens signed with the new key accepted (200): ${accepted.length} (of ${answers.filter((a) => a.tag.startsWith("new key")).length} sent)`);
  check(accepted.length > 0, `tokens signed with the new key are accepted (${accepted.length} answered 200)`);
  check(unexpected.length === 0, "no failed requests across the rotation");
  // one refetch for the new kid (proxy.ts verifies every token first; handlers reuse its result)
  check(jwks1 - jwks0 === ROTATION_JWKS_REFETCHES, `exactly ${ROTATION_JWKS_REFETCHES} JWKS refetch after the rotation (${jwks1 - jwks0})`);
}

/** JWKS fetches the app makes when a token with a newly published key arrives: docs/performance.md. */
const ROTATION_JWKS_REFETCHES = 1;

/**
 * proxy.ts and the route handlers are separate bundles in the standalone build; the verified-token
 * memo must be one (lib/auth/verifier.ts), or a handler would verify each token a second time.
 * Against `node server.js`: a token's first request is verified in full by proxy.ts and found in
 * the memo by the handler; a warm request is a memo hit in both.
 */
async function verifierMemo(env: Env): Promise<void> {
  console.log("\n── Verifier memo shared by proxy.ts and the route handlers (standalone build)");
  const { app, agent } = env;
  const token = await env.fresh();
  const first = await request(agent, app.origin, { path: "/api/whoami", token, tag: "first request" });
  const warm = await request(agent, app.origin, { path: "/api/whoami", token, tag: "warm request" });
  const desc = (a: Answer, name: string) => parseServerTiming(a.serverTiming).get(name)?.desc.join(",") ?? "none";
  console.log(`   first: ${first.serverTiming ?? "(no Server-Timing)"}\n   warm:  ${warm.serverTiming ?? "(no Server-Timing)"}`);
  check(first.status === 200 && desc(first, "proxy-verify") === "full" && desc(first, "verify") === "memo", `a token's first request: proxy.ts verifies it (proxy-verify "${desc(first, "proxy-verify")}"), the handler finds it in the memo (verify "${desc(first, "verify")}")`);
  check(warm.status === 200 && desc(warm, "proxy-verify") === "memo" && desc(warm, "verify") === "memo", `a warm request: Server-Timing verify;desc="memo" in proxy.ts and the handler (${desc(warm, "proxy-verify")}, ${desc(warm, "verify")})`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = Date.now();
  const tenant = loadTenant();
  const control = new Control(tenant);
  const outDir = path.join(ROOT, "bench", "out");
  const appDir = path.join(outDir, `faults-${process.pid}`);
  const logDir = path.join(outDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const build = process.argv.includes("--build");
  if (!build && buildIsStale()) console.log("warning: a source file is newer than .next/standalone; testing the existing build (pass --build to rebuild first)");
  snapshotBuild(appDir, build);

  const redis = await startRedisServer();
  const port = await freePort();
  let app: Managed | undefined;
  let env: Env | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  try {
    app = await spawnServer({
      command: process.execPath,
      args: ["server.js"],
      cwd: path.join(appDir, ".next", "standalone"),
      env: appEnv(port, {
        REDIS_URL: redis.url,
        TOKEN_CACHE_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
        DOWNSTREAM_TIMEOUT_MS: String(DOWNSTREAM_TIMEOUT_MS),
        DOWNSTREAM_MAX_RETRIES: String(MAX_RETRIES),
        DOWNSTREAM_MAX_RETRY_AFTER_SECONDS: String(MAX_RETRY_AFTER_SECONDS),
      }),
      port,
      logFile: path.join(logDir, "app-faults.log"),
      readyPath: "/api/health",
    });
    const appStartedAt = Date.now();
    const cached = await control.apiTokens(CACHED_USERS_FIRST, 12);
    let nextFresh = 600_001;
    env = {
      control,
      tenant,
      standalone: path.join(appDir, ".next", "standalone"),
      app,
      redis,
      agent,
      cached,
      fresh: async () => (await control.apiTokens(nextFresh++, 1))[0] ?? "",
      startedAt: started,
      lastJwksFetch: appStartedAt,
      overageUser: tenant.users.find((u) => (u.groupCount ?? 0) > 200)?.username,
    };
    console.log(`app ${app.origin} (pid ${app.pid}), Redis ${redis.url}, DOWNSTREAM_TIMEOUT_MS=${DOWNSTREAM_TIMEOUT_MS}, DOWNSTREAM_MAX_RETRIES=${MAX_RETRIES}`);
    // first calls: every cached user's tokens for Graph and ARM go into the token cache (Redis)
    for (const token of cached) {
      for (const p of ["/api/me", "/api/subscriptions"]) {
        const a = await request(agent, app.origin, { path: p, token, tag: "warm-up" });
        if (a.status !== 200) throw new Error(`warm-up ${p} answered ${a.status} ${a.code ?? ""}`);
      }
    }

    const faults: [string, (e: Env) => Promise<void>][] = [
      ["throttle", graphThrottled],
      ["slow", slowDownstream],
      ["redis", redisKilled],
      ["idp", idpDownForNewUser],
      ["rotation", keyRotated],
      ["jwks", jwksDown],
      ["overage", graphDownDuringOverage],
      ["memo", verifierMemo],
      ["two instances", (e) => twoInstances({ control: e.control, tenant: e.tenant, standalone: e.standalone })],
    ];
    const only = process.argv.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
    for (const [name, run] of faults) {
      if (only && !only.includes(name)) continue;
      try {
        await run(env);
      } catch (e) {
        check(false, `${name}: ${e instanceof Error ? e.message : String(e)}`);
        await control.clearFaults().catch(() => undefined);
      }
    }
    check(app.child.exitCode === null && (await probe(`${app.origin}/api/health`)) === 200, "the app survived every fault and is healthy");
  } finally {
    agent.destroy();
    await app?.stop();
    // the Redis fault restarts the server: stop whichever instance is current
    await (env?.redis ?? redis).kill().catch(() => undefined);
    rmSync(appDir, { recursive: true, force: true });
  }
  const { passed, failed, failures } = results();
  console.log(`\n${passed} passed, ${failed} failed (${fmt(Date.now() - started)}; app log: bench/out/logs/app-faults.log)`);
  for (const f of failures) console.log(`  failed: ${f}`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`faults: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
