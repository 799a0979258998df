/**
 * Load: one fresh app, settled for SETTLE_SECONDS on /api/whoami, then per route in this order
 * /api/me, /api/subscriptions, /api/whoami (the floor): each user's first call (tokens never seen:
 * proxy.ts verifies each in full, and each user costs one OBO per API), a warm-up, the measured
 * run at N connections (warm caches: every token memoized, every OBO a hit), one connection
 * (serial), then FIRST_SEEN_PROBES more new tokens one at a time. Then the latency-bound run and (with firstload) Chromium's First Load JS on the same
 * app; then the bare baseline server for the same Graph and ARM calls.
 */
import path from "node:path";
import { firstCalls, say, startApp, type BenchContext } from "../lib/context";
import { emulatorPid, freePort, rssMb, spawnServer, type Managed } from "../lib/proc";
import { runLoad, runSerial, type LoadResult, type SerialResult } from "../lib/load";
import type { BaselineScenario, Report, Scenario } from "../lib/report";
import { round, type Samples } from "../lib/stats";
import { LATENCY_CONNECTIONS, LATENCY_MS, latencyBound } from "./latency-bound";

/** Load on a fresh app before its first measured scenario, seconds. */
const SETTLE_SECONDS = 10;
/** Tokens never seen, called one at a time after the serial run: proxy.ts's full verification without queueing. */
const FIRST_SEEN_PROBES = 50;

type Key = "me" | "subscriptions" | "floor";

// floor: the cheapest protected request (proxy.ts + verification + a handler, no token request
// and no downstream call): what Next.js and the verifier cost before any work is done.
const ROUTES: { key: Key; path: string; baselinePath?: string; tokenRequestsPerUser: number }[] = [
  { key: "me", path: "/api/me", baselinePath: "/me", tokenRequestsPerUser: 1 },
  { key: "subscriptions", path: "/api/subscriptions", baselinePath: "/subscriptions", tokenRequestsPerUser: 1 },
  { key: "floor", path: "/api/whoami", tokenRequestsPerUser: 0 },
];

interface Measured {
  load: LoadResult;
  serial: SerialResult;
  /** proxy.ts's full verifications: at the first calls (16 at a time), and one at a time. */
  firstSeenBurst: Samples;
  firstSeen: Samples;
  warm: number;
  measured: number;
  rssBefore: number;
  rssAfter: number;
}

export async function loadPhase(ctx: BenchContext, report: Report, firstLoad: (origin: string) => Promise<void>): Promise<void> {
  const { opts, control } = ctx;
  // Tokens of their own per route (the same users): each route's first calls verify tokens never seen.
  const settleTokens = await control.apiTokens(1, opts.users);
  const tokens = Object.fromEntries(await Promise.all(ROUTES.map(async (r) => [r.key, await control.apiTokens(1, opts.users)] as const))) as Record<Key, string[]>;
  const app = await startApp(ctx, "app-load");
  let latencyApp: LoadResult | undefined;
  let latencyBase: LoadResult | undefined;
  const ours: Partial<Record<Key, Measured>> = {};
  try {
    // Whichever route came first paid for the process settling (the heap growing from its startup
    // size, Next's own code compiling): 1.4-2.5 ms per request against 1.1 ms for the floor in a
    // settled process. Settle it on the floor route (no token requests to count) first.
    say(`\n[load] settling the new process: ${SETTLE_SECONDS} s on /api/whoami`);
    await firstCalls(app.origin, "/api/whoami", settleTokens);
    await runLoad({ url: app.origin, path: "/api/whoami", tokens: settleTokens, connections: opts.connections, durationSeconds: SETTLE_SECONDS });
    for (const r of ROUTES) {
      const routeTokens = tokens[r.key];
      say(`\n[load] ${r.path}: ${opts.users} users, first call each (tokens never seen)`);
      const rssBefore = rssMb(app.pid);
      const obo0 = await control.oboCount();
      const first = await firstCalls(app.origin, r.path, routeTokens);
      if (Object.keys(first.statuses).some((k) => k !== "200")) say(`  first calls answered ${JSON.stringify(first.statuses)}`);
      const obo1 = await control.oboCount();
      say(`  warm-up ${opts.warmupSeconds} s at ${opts.connections} connections`);
      await runLoad({ url: app.origin, path: r.path, tokens: routeTokens, connections: opts.connections, durationSeconds: opts.warmupSeconds });
      say(`  measuring ${opts.durationSeconds} s at ${opts.connections} connections`);
      const load = await runLoad({ url: app.origin, path: r.path, tokens: routeTokens, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: app.pid, emulator: emulatorPid() } });
      say(`  serial (1 connection) ${opts.serialSeconds} s`);
      const serial = await runSerial({ url: app.origin, path: r.path, tokens: routeTokens, durationSeconds: opts.serialSeconds });
      const obo2 = await control.oboCount();
      // renewed tokens of the same users (for /api/me and /api/subscriptions each one more OBO, after the count above)
      const probe = await firstCalls(app.origin, r.path, await control.apiTokens(1, Math.min(FIRST_SEEN_PROBES, opts.users)), 1);
      ours[r.key] = { load, serial, firstSeenBurst: first.proxyVerifyFirstSeen, firstSeen: probe.proxyVerifyFirstSeen, warm: obo1 - obo0, measured: obo2 - obo1, rssBefore, rssAfter: rssMb(app.pid) };
      say(
        `  ${load.rps} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, non-2xx ${load.non2xx}; proxy.ts verify p50 first seen ${round(probe.proxyVerifyFirstSeen.percentile(50), 2)} ms (${round(first.proxyVerifyFirstSeen.percentile(50), 2)} ms in the burst of first calls), memo ${load.proxyVerify.memoP50Ms} ms; ` +
          `server self p50 ${load.server.selfP50Ms} ms (serial ${serial.selfP50Ms} ms) of total ${load.server.totalP50Ms} ms; OBO ${obo1 - obo0} + ${obo2 - obo1}, CPU ms/request ${JSON.stringify(load.cpuMsPerRequest)}`,
      );
    }
    const errorLines = app.logLines().filter((l) => l.includes('"level":"error"'));
    if (errorLines.length) ctx.notes.push(`app logged ${errorLines.length} error lines during the load phase (see bench/out/logs/app-load.log)`);
    latencyApp = await latencyBound(ctx, app, "/api/me", tokens.me);
    if (opts.phases.has("firstload")) await firstLoad(app.origin);
  } finally {
    await app.stop();
  }

  // the baseline: same downstream calls, same emulator, a bare server with fixed tokens
  const baseline = await startBaseline(ctx);
  const base: Partial<Record<"me" | "subscriptions", BaselineScenario>> = {};
  try {
    for (const r of ROUTES) {
      if (!r.baselinePath || r.key === "floor") continue;
      say(`\n[baseline] ${r.baselinePath}: warm-up ${opts.warmupSeconds} s, measuring ${opts.durationSeconds} s`);
      await runLoad({ url: baseline.origin, path: r.baselinePath, connections: opts.connections, durationSeconds: opts.warmupSeconds });
      const load = await runLoad({ url: baseline.origin, path: r.baselinePath, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: baseline.pid, emulator: emulatorPid() } });
      const serial = await runSerial({ url: baseline.origin, path: r.baselinePath, durationSeconds: opts.serialSeconds });
      base[r.key] = { rps: load.rps, p50Ms: load.p50Ms, p90Ms: load.p90Ms, p99Ms: load.p99Ms, non2xx: load.non2xx, requests: load.requests, cpuMsPerRequest: load.cpuMsPerRequest, serial };
      say(`  ${load.rps} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, non-2xx ${load.non2xx}, CPU ms/request ${JSON.stringify(load.cpuMsPerRequest)}`);
    }
    latencyBase = await latencyBound(ctx, baseline, "/me");
  } finally {
    await baseline.stop();
  }

  for (const r of ROUTES) {
    const o = ours[r.key];
    const b = r.key === "floor" ? undefined : base[r.key];
    if (!o) continue;
    report.scenarios[r.key] = scenario(ctx, r, o, b);
    if (r.key !== "floor") report.scenarios.baseline[r.key] = b ?? null;
  }
  report.scenarios.baseline.rps = base.me?.rps ?? null;
  report.scenarios.baseline.cpuMsPerRequest = base.me?.cpuMsPerRequest ?? null;
  if (latencyApp && latencyBase) {
    report.scenarios.latencyBound = {
      path: "/api/me",
      downstreamDelayMs: LATENCY_MS,
      connections: LATENCY_CONNECTIONS,
      durationSeconds: opts.durationSeconds,
      ours: { rps: latencyApp.rps, p50Ms: latencyApp.p50Ms, p99Ms: latencyApp.p99Ms, non2xx: latencyApp.non2xx },
      baseline: { rps: latencyBase.rps, p50Ms: latencyBase.p50Ms, p99Ms: latencyBase.p99Ms, non2xx: latencyBase.non2xx },
      throughputVsBaseline: round(latencyApp.rps / latencyBase.rps, 2),
    };
  }
}

function scenario(ctx: BenchContext, r: (typeof ROUTES)[number], o: Measured, b: BaselineScenario | undefined): Scenario {
  const { opts } = ctx;
  const pct = (samples: Samples, p: number) => (samples.length ? round(samples.percentile(p), 2) : null);
  return {
    rps: o.load.rps,
    p50Ms: o.load.p50Ms,
    p90Ms: o.load.p90Ms,
    p99Ms: o.load.p99Ms,
    non2xx: o.load.non2xx,
    overheadP50Ms: o.load.overheadP50Ms,
    overheadP99Ms: o.load.overheadP99Ms,
    idpTokenRequests: o.warm + o.measured,
    expectedTokenRequests: opts.users * r.tokenRequestsPerUser,
    proxyVerifyMs: {
      firstSeenP50: pct(o.firstSeen, 50),
      memoP50: o.load.proxyVerify.memoP50Ms,
      firstSeenP99: pct(o.firstSeen, 99),
      memoP99: o.load.proxyVerify.memoP99Ms,
      firstSeenSamples: o.firstSeen.length,
      firstSeenBurstP50: pct(o.firstSeenBurst, 50),
      firstSeenBurstP99: pct(o.firstSeenBurst, 99),
      memoSamples: o.load.proxyVerify.memoCount,
      fullDuringLoad: o.load.proxyVerify.fullCount,
    },
    serverMs: { ...o.load.server, serialSelfP50Ms: o.serial.selfP50Ms },
    path: r.path,
    users: opts.users,
    connections: opts.connections,
    durationSeconds: opts.durationSeconds,
    requests: o.load.requests,
    errors: o.load.errors,
    timeouts: o.load.timeouts,
    statusCodes: o.load.statusCodes,
    verifyP50Ms: o.load.verifyP50Ms,
    oboP50Ms: o.load.oboP50Ms,
    oboOutcomes: o.load.oboOutcomes,
    warmupTokenRequests: o.warm,
    measuredTokenRequests: o.measured,
    rssBeforeMb: o.rssBefore,
    rssAfterMb: o.rssAfter,
    cpuMsPerRequest: o.load.cpuMsPerRequest,
    throughputVsBaseline: b ? round(o.load.rps / b.rps, 2) : null,
    serial: { ...o.serial, p50MinusBaselineMs: b ? round(o.serial.p50Ms - b.serial.p50Ms, 2) : null },
  };
}

/** A bare node:http server making the same Graph / ARM calls with one fixed token per API, through the app's own transport. */
async function startBaseline(ctx: BenchContext): Promise<Managed> {
  const port = await freePort();
  const [graphToken, armToken] = await ctx.control.downstreamTokens(1, [
    // what the API's On-Behalf-Of token for Graph carries: every consented Graph permission
    // (/me/manager needs User.ReadBasic.All besides User.Read)
    ["https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/User.ReadBasic.All"],
    ["https://management.azure.com/user_impersonation"],
  ]);
  const root = process.cwd();
  return spawnServer({
    command: process.execPath,
    // react-server: the app's transport module is marked server-only, as a route handler sees it
    args: ["--conditions=react-server", "--import", "tsx", path.join(root, "bench", "baseline-server.ts")],
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      GRAPH_BASE_URL: ctx.tenant.graphBaseUrl,
      ARM_BASE_URL: ctx.tenant.armBaseUrl,
      BASELINE_GRAPH_TOKEN: graphToken ?? "",
      BASELINE_ARM_TOKEN: armToken ?? "",
    },
    port,
    logFile: path.join(ctx.logDir, "baseline.log"),
    readyPath: "/health",
  });
}
