/**
 * The fault suite's case "two instances": App Service scale-out with ARR affinity off. Two
 * standalone instances started as App Service starts them (e2e/support/app-service.ts: the same
 * package, the same app settings, APP_BASE_URL = the site's https origin) behind a front end that
 * sends each request to the next instance in turn, sharing one Redis (the token caches and the
 * web app's sign-out records). Proves what users of a scaled-out site rely on:
 *
 * - a user warmed on instance A makes no identity-provider token request on B (shared caches);
 * - a web sign-out on A: a copy of the cookie is refused by B at its first request; a front-channel
 *   logout received by B ends the session created on A;
 * - Redis restarted mid-run (its data kept, as a managed Redis with persistence or a replica
 *   does): both instances answer as docs/deploy.md says while it is down (the API from memory,
 *   /web "Sessions cannot be checked right now", sign-out works, a front-channel logout for a
 *   session the instance cannot vouch for 503), sign-outs made during the outage hold after it,
 *   and nothing stored before is lost;
 * - throughput of two instances against one (informative: both share this machine's cores).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PIN_HEADER, startAppServiceLike, type AppServiceLike } from "../../e2e/support/app-service";
import { startRedisServer, type RedisServer } from "../../test-support/redis-server";
import { deployedAppSettings } from "../../scripts/lib/emulator-env";
import { check } from "../lib/checks";
import type { Control, TenantDescription } from "../lib/emulator";
import { runLoad } from "../lib/load";
import { sleep } from "../lib/proc";
import { parseServerTiming, round } from "../lib/stats";
import { textOf, unescapeHtml, WebClient } from "../lib/web-client";

export interface TwoInstancesEnv {
  control: Control;
  tenant: TenantDescription;
  /** The deployed folder (a copy of .next/standalone). */
  standalone: string;
}

const A = 0;
const B = 1;
/** Load users of this case: API callers from here, web sign-ins from WEB_USERS. */
const API_USERS = 700_001;
const WEB_USERS = 710_001;
const COOKIE = "__Host-web-session";

interface Site {
  site: AppServiceLike;
  origin: string;
  control: Control;
  tenant: TenantDescription;
  password: string;
}

/** GET on the site through the front end, sent to one instance. */
async function api(s: Site, instance: number, pathName: string, token: string): Promise<{ status: number; obo: string; code?: string }> {
  const res = await fetch(s.origin + pathName, { headers: { authorization: `Bearer ${token}`, [PIN_HEADER]: String(instance) } });
  const body = await res.text();
  let code: string | undefined;
  if (res.status >= 400) {
    try {
      code = (JSON.parse(body) as { code?: string }).code;
    } catch {
      code = undefined;
    }
  }
  return { status: res.status, obo: parseServerTiming(res.headers.get("server-timing") ?? "").get("obo")?.desc.join(",") ?? "none", code };
}

/** Identity-provider token requests of every grant so far (the emulator's counter). */
const tokenRequests = async (s: Site) => (await s.control.counters()).total;

interface WebSession {
  username: string;
  oid: string;
  /** The browser that signed in (its identity-provider cookies too). */
  browser: WebClient;
  /** The app's session cookie, as a copy of it would be sent. */
  cookie: string;
  /** Instances that served the sign-in's two app requests. */
  servedBy: { login: number; callback: number };
}

/** Signs a load user in to the web app through the front end; `pins` sends the app's two requests to given instances. */
async function signIn(s: Site, n: number, oid: string, pins: { login?: number; callback?: number } = {}): Promise<WebSession> {
  const username = `loaduser${n}@${s.tenant.users[0]?.username.split("@")[1] ?? "contoso.test"}`;
  const browser = new WebClient();
  const idp = new URL(s.tenant.authorityHost).origin;
  const pin = (i: number | undefined): Record<string, string> => (i === undefined ? {} : { [PIN_HEADER]: String(i) });
  const before = s.site.forwarded.length;
  const signInPage = await browser.go(`${s.origin}/auth/login?returnTo=%2Fweb`, { headers: pin(pins.login), follow: (next) => next.startsWith(idp) });
  if (!signInPage.url.startsWith(idp) || signInPage.status !== 200) throw new Error(`sign-in did not reach the identity provider's page (${signInPage.status} ${signInPage.url})`);
  const back = await browser.submit(signInPage, { username, password: s.password, action: "signin" }, { follow: (next) => next.startsWith(idp) });
  const callback = back.headers.get("location");
  if (!callback?.startsWith(`${s.origin}/auth/callback`)) throw new Error(`the identity provider did not send the browser back to the callback (${back.status} ${back.url}: ${textOf(back.html).slice(0, 300)})`);
  const done = await browser.request(callback, { headers: pin(pins.callback) });
  const cookie = browser.cookie(s.origin, COOKIE);
  if (done.status !== 303 || !cookie) throw new Error(`the callback answered ${done.status} without a session: ${textOf(done.html).slice(0, 300)}`);
  const served = s.site.forwarded.slice(before).filter((f) => f.url.startsWith("/auth/"));
  return { username, oid, browser, cookie, servedBy: { login: served[0]?.instance ?? -1, callback: served[1]?.instance ?? -1 } };
}

type WebView = "signed in" | "signed out" | "sessions cannot be checked" | "other";

/** /web on one instance with a (copy of a) session cookie: what it shows. */
async function viewWeb(s: Site, instance: number, session: WebSession): Promise<{ view: WebView; status: number }> {
  const res = await fetch(`${s.origin}/web`, { headers: { cookie: `${COOKIE}=${session.cookie}`, [PIN_HEADER]: String(instance) }, redirect: "manual" });
  const text = textOf(await res.text());
  const view: WebView = text.includes("Sessions cannot be checked right now")
    ? "sessions cannot be checked"
    : text.includes("Signed in as") && text.includes(session.username)
      ? "signed in"
      : text.includes("Sign in to see your profile")
        ? "signed out"
        : "other";
  return { view, status: res.status };
}

/** The Sign out button's POST on one instance. */
async function signOut(s: Site, instance: number, session: WebSession): Promise<number> {
  const res = await fetch(`${s.origin}/auth/logout`, { method: "POST", headers: { cookie: `${COOKIE}=${session.cookie}`, origin: s.origin, [PIN_HEADER]: String(instance) }, redirect: "manual" });
  await res.arrayBuffer();
  return res.status;
}

/**
 * The user signs out at the identity provider (from another app): its sign-out page loads each
 * app's front-channel logout URL in a hidden iframe. Returns that URL for this app.
 */
async function signOutAtIdentityProvider(s: Site, session: WebSession): Promise<string> {
  const url = `${s.tenant.authorityHost}/${s.tenant.tenantId}/oauth2/v2.0/logout`;
  let page = await session.browser.go(url);
  // Without a logout_hint the identity provider may ask which account to sign out ("Pick an account").
  if (!/<iframe/.test(page.html) && /name="account"/.test(page.html)) page = await session.browser.submit(page, { account: session.oid });
  const frame = /<iframe src="([^"]+)"/.exec(page.html)?.[1];
  if (!frame) throw new Error(`the identity provider's sign-out page loads no front-channel logout URL: ${textOf(page.html).slice(0, 300)}`);
  const frameUrl = unescapeHtml(frame);
  // The registration's one front-channel logout URL must be this site's (package.json test:faults:
  // with-emulator --front-channel-logout=app-service), or the browser's iframe would go elsewhere.
  if (new URL(frameUrl).origin !== s.origin) throw new Error(`the web app's registered front-channel logout URL ${frameUrl} is not on ${s.origin}: run the fault suite with \`npm run test:faults\``);
  return frameUrl;
}

/** GET the front-channel logout URL on one instance, as the iframe does (cross-site: no cookie). */
async function frontChannel(s: Site, instance: number, url: string): Promise<number> {
  const res = await fetch(url, { headers: { [PIN_HEADER]: String(instance) } });
  await res.arrayBuffer();
  return res.status;
}

async function health(s: Site, instance: number): Promise<string> {
  try {
    const res = await fetch(`${s.origin}/api/health`, { headers: { [PIN_HEADER]: String(instance) } });
    return ((await res.json()) as { status?: string }).status ?? String(res.status);
  } catch (e) {
    return `error ${e instanceof Error ? e.message : String(e)}`;
  }
}

async function until(what: string, condition: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await sleep(100);
  }
}

export async function twoInstances(env: TwoInstancesEnv): Promise<void> {
  console.log("\n── two instances: App Service scale-out (ARR affinity off) on one Redis");
  const { control, tenant } = env;
  const publicPort = Number(process.env.E2E_APP_SERVICE_PORT ?? 3443);
  const origin = `https://localhost:${publicPort}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "two-instances-redis-"));
  let redis: RedisServer = await startRedisServer(undefined, { dataDir });
  let site: AppServiceLike | undefined;
  try {
    const web = await control.ensureUsers(WEB_USERS, 6);
    await control.ensureUsers(API_USERS, 40);
    site = await startAppServiceLike(publicPort, {
      instances: 2,
      standalone: env.standalone,
      appSettings: {
        ...deployedAppSettings(tenant, origin, randomBytes(32).toString("base64url")),
        REDIS_URL: redis.url,
        TOKEN_CACHE_ENCRYPTION_KEY: randomBytes(32).toString("base64url"),
        // Not an App Service setting: Entra's certificates chain to public CAs, the emulator's to its own.
        NODE_EXTRA_CA_CERTS: tenant.caCertPath,
      },
    });
    const s: Site = { site, origin, control, tenant, password: web.password };
    const oid = (i: number) => web.users[i]?.oid ?? "";
    console.log(`   ${origin} → instance A ${site.instances[A]?.origin} (pid ${site.instances[A]?.pid}), B ${site.instances[B]?.origin} (pid ${site.instances[B]?.pid}); Redis ${redis.url} (append-only file in ${dataDir})`);

    // --- the API: a user warmed on A costs B no token request
    const [warm, ...loadTokens] = await control.apiTokens(API_USERS, 40);
    for (const p of ["/api/me", "/api/subscriptions"]) {
      const first = await api(s, A, p, warm ?? "");
      if (first.status !== 200 || first.obo !== "miss") throw new Error(`warming ${p} on A answered ${first.status} (obo ${first.obo})`);
    }
    let before = await tokenRequests(s);
    const onB = [await api(s, B, "/api/me", warm ?? ""), await api(s, B, "/api/subscriptions", warm ?? "")];
    let made = (await tokenRequests(s)) - before;
    check(onB.every((a) => a.status === 200) && made === 0, `a user warmed on A makes 0 identity-provider token requests on B (${made}; B answered ${onB.map((a) => `${a.status} obo ${a.obo}`).join(", ")})`);

    // --- the web app: a session made through the front end in turn, a sign-out on A, the copy on B
    const s1 = await signIn(s, WEB_USERS, oid(0));
    check(s1.servedBy.login !== s1.servedBy.callback, `sign-in with ARR affinity off: /auth/login on instance ${"AB"[s1.servedBy.login]}, the callback on ${"AB"[s1.servedBy.callback]}, one session`);
    before = await tokenRequests(s);
    const s1Views = [await viewWeb(s, A, s1), await viewWeb(s, B, s1)];
    made = (await tokenRequests(s)) - before;
    check(s1Views.every((v) => v.view === "signed in") && made === 0, `/web shows the profile on A and on B with 0 token requests (${s1Views.map((v) => v.view).join(", ")}; ${made} requests)`);
    const out = await signOut(s, A, s1);
    const copyOnB = await viewWeb(s, B, s1);
    check(out === 303 && copyOnB.view === "signed out", `web sign-out on A (${out}): the copied cookie is refused on B at its first request (${copyOnB.view})`);

    // --- front-channel logout received by B ends the session created on A
    const s2 = await signIn(s, WEB_USERS + 1, oid(1), { login: B, callback: A });
    const s2Before = await viewWeb(s, A, s2);
    const frameUrl = await signOutAtIdentityProvider(s, s2);
    const fcl = await frontChannel(s, B, frameUrl);
    const s2After = [await viewWeb(s, A, s2), await viewWeb(s, B, s2)];
    check(s2Before.view === "signed in" && fcl === 200 && s2After.every((v) => v.view === "signed out"), `front-channel logout received by B (${fcl}) ends the session created on A (${s2Before.view} → ${s2After.map((v) => v.view).join(", ")})`);

    // --- Redis restarted mid-run
    const kept = await control.apiTokens(API_USERS + 40, 1).then((t) => t[0] ?? ""); // warmed on A only, asked on B after the restart
    for (const p of ["/api/me", "/api/subscriptions"]) await api(s, A, p, kept);
    const s3 = await signIn(s, WEB_USERS + 2, oid(2), { callback: A }); // signs out on B during the outage
    const s4 = await signIn(s, WEB_USERS + 3, oid(3), { callback: A }); // front-channel during the outage
    const s5 = await signIn(s, WEB_USERS + 4, oid(4), { callback: B }); // lives through it
    const s4Frame = await signOutAtIdentityProvider(s, s4);
    await redis.kill();
    const killedAt = Date.now();
    await until("both instances report the outage", async () => (await health(s, A)) === "degraded" && (await health(s, B)) === "degraded");
    console.log(`   Redis killed (SIGKILL); both instances report "degraded" after ${((Date.now() - killedAt) / 1000).toFixed(2)} s`);

    const warmOnB = await api(s, B, "/api/me", warm ?? ""); // in B's memory since the first check
    const keptOnA = await api(s, A, "/api/me", kept);
    const [newcomer] = await control.apiTokens(API_USERS + 41, 1);
    const newOnB = await api(s, B, "/api/me", newcomer ?? "");
    check([warmOnB, keptOnA, newOnB].every((a) => a.status === 200), `the API keeps answering 200 on both instances during the outage (cached on B ${warmOnB.status}, cached on A ${keptOnA.status}, a new user on B ${newOnB.status} obo ${newOnB.obo})`);
    const s5During = [await viewWeb(s, A, s5), await viewWeb(s, B, s5)];
    check(s5During.every((v) => v.view === "sessions cannot be checked"), `/web says "Sessions cannot be checked right now" on both instances rather than trust a session (${s5During.map((v) => `${v.view} ${v.status}`).join(", ")})`);
    const s3Out = await signOut(s, B, s3);
    check(s3Out === 303, `sign-out on B during the outage completes (${s3Out}) for a session signed in on A`);
    const s4OnB = await frontChannel(s, B, s4Frame);
    const s4OnA = await frontChannel(s, A, s4Frame);
    check(s4OnB === 503 && s4OnA === 200, `front-channel logout during the outage: 503 on B, which cannot tell whether the session exists (${s4OnB}); 200 on A, which signed it in (${s4OnA})`);

    redis = await redis.restart();
    const restartedAt = Date.now();
    await until("both instances use Redis again", async () => (await health(s, A)) === "ok" && (await health(s, B)) === "ok");
    await until("web sessions can be checked again on both instances", async () => (await viewWeb(s, A, s5)).view !== "sessions cannot be checked" && (await viewWeb(s, B, s5)).view !== "sessions cannot be checked");
    console.log(`   Redis restarted on the same port with its append-only file; both instances back after ${((Date.now() - restartedAt) / 1000).toFixed(2)} s`);

    const s3After = [await viewWeb(s, A, s3), await viewWeb(s, B, s3)];
    const s4After = [await viewWeb(s, A, s4), await viewWeb(s, B, s4)];
    check(s3After.every((v) => v.view === "signed out") && s4After.every((v) => v.view === "signed out"), `sign-outs made during the outage hold after it on both instances (sign-out: ${s3After.map((v) => v.view).join(", ")}; front-channel: ${s4After.map((v) => v.view).join(", ")})`);
    before = await tokenRequests(s);
    const keptOnB = [await api(s, B, "/api/me", kept), await api(s, B, "/api/subscriptions", kept)];
    const s5After = [await viewWeb(s, A, s5), await viewWeb(s, B, s5)];
    made = (await tokenRequests(s)) - before;
    const s1After = await viewWeb(s, B, s1);
    check(
      keptOnB.every((a) => a.status === 200) && s5After.every((v) => v.view === "signed in") && s1After.view === "signed out" && made === 0,
      `nothing stored before is lost: B serves a user only A had seen, /web a session made on B shows on A, with 0 token requests (${made}); a session signed out before the outage stays signed out (${s1After.view})`,
    );
    const s5Frame = await signOutAtIdentityProvider(s, s5);
    const s5Fcl = await frontChannel(s, A, s5Frame);
    const s5Ended = await viewWeb(s, B, s5);
    check(s5Fcl === 200 && s5Ended.view === "signed out", `the identity-provider session remembered before the outage still counts: front-channel logout on A (${s5Fcl}) ends B's session (${s5Ended.view})`);

    // --- throughput (informative: the two instances, the emulator and the load share this machine's cores)
    for (const t of loadTokens) for (const i of [A, B]) await api(s, i, "/api/me", t);
    const seconds = 5;
    const one = await runLoad({ url: site.instances[A]?.origin ?? "", path: "/api/me", tokens: loadTokens, connections: 20, durationSeconds: seconds });
    const both = await Promise.all([A, B].map((i) => runLoad({ url: site?.instances[i]?.origin ?? "", path: "/api/me", tokens: loadTokens, connections: 10, durationSeconds: seconds })));
    const twoRps = both.reduce((sum, r) => sum + r.rps, 0);
    console.log(
      `   throughput of /api/me, ${seconds} s at 20 connections (informative: ${os.cpus().length} cores shared with the emulator and the load generator): one instance ${one.rps} req/s, two instances ${twoRps} req/s (${both.map((r) => r.rps).join(" + ")}) = ${round(twoRps / Math.max(1, one.rps), 2)}×; non-2xx ${one.non2xx + both.reduce((n, r) => n + r.non2xx, 0)}`,
    );
    check(one.non2xx + both.reduce((n, r) => n + r.non2xx, 0) === 0 && one.requests > 0 && both.every((r) => r.requests > 0), "no errors under load on one and on two instances");
  } catch (e) {
    for (const i of site?.instances ?? []) console.log(`   --- instance ${"AB"[i.index]} log (tail) ---\n${i.output().split("\n").slice(-15).join("\n")}`);
    throw e;
  } finally {
    await site?.stop();
    await redis.kill().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}
