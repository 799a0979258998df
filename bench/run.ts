/**
 * `npm run bench`: measures the middle tier against the issue's targets and writes
 * bench/report.json (shape: bench/lib/report.ts). Run it beside a fresh identity emulator:
 *
 *   npx tsx scripts/with-emulator.ts tsx bench/run.ts [options]
 *
 * Options (all optional):
 *   --build=auto|always|never  build the standalone app first (auto: when a source is newer)
 *   --duration=15 --warmup=5 --serial=5 --connections=50 --users=200
 *   --cache-users=12000 --cache-max-users=3000 --cold-starts=5
 *   --plan=B1          run the app under the heap-limit rule for this App Service plan's memory
 *                      (scripts/lib/heap.mjs; default the smallest plan), or --plan=none for V8's own
 *   --soak-duration=600 --soak-connections=50 --soak-users=200 --soak-sample=10
 *   --soak-compare     soak twice: under the plan's heap limit and without one
 *   --node-flags="--max-semi-space-size=16"   extra node flags for the app (tuning experiments)
 *   --only=load,cache,coldstart,firstload,soak   run some phases only
 *   --quick                                 short smoke run (5 s loads, 2000 cache users, 60 s soak)
 *
 * Processes: the emulator (token endpoint, Graph, ARM) lives in the launcher's process; the app
 * (`node .next/standalone/server.js`, NODE_ENV=production) and the bare baseline server are
 * separate children with their own ports; autocannon runs here. All share the machine's cores.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { runCacheScale } from "./lib/cache-scale";
import { Control, loadTenant, type TenantDescription } from "./lib/emulator";
import { runLoad, runSerial, type LoadResult, type SerialResult } from "./lib/load";
import { runSoak } from "./lib/soak";
import { heapArgs, planHeapLimit } from "./lib/plan";
import { appEnv, emulatorPid, freePort, probe, rssMb, sleep, spawnServer, stopChild, type Managed } from "./lib/proc";
import { machineInfo, table, type BaselineScenario, type Report, type Scenario } from "./lib/report";
import { BUILD_LOCK, buildIsStale, snapshotBuild } from "./lib/snapshot";
import { median, round } from "./lib/stats";

const ROOT = process.cwd();
const OUT = path.join(ROOT, "bench", "out");
const REPORT = path.join(ROOT, "bench", "report.json");

// ---------------------------------------------------------------------------------------------
// options

function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m?.[1]) throw new Error(`unknown argument ${a}`);
    flags.set(m[1], m[2] ?? "true");
  }
  const quick = flags.get("quick") === "true";
  const num = (name: string, dflt: number, quickValue = dflt) => {
    const v = flags.get(name);
    if (v === undefined) return quick ? quickValue : dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
    return n;
  };
  const build = flags.get("build") ?? "auto";
  if (!["auto", "always", "never"].includes(build)) throw new Error("--build must be auto, always or never");
  const phases = new Set((flags.get("only") ?? "load,cache,coldstart,firstload,soak").split(","));
  const { plan, memoryMb, heapLimitMb } = planHeapLimit(flags.get("plan"));
  return {
    build: build as "auto" | "always" | "never",
    durationSeconds: num("duration", 15, 5),
    warmupSeconds: num("warmup", 5, 2),
    serialSeconds: num("serial", 5, 2),
    connections: num("connections", 50),
    users: num("users", 200),
    cacheUsers: num("cache-users", 12_000, 2_000),
    // 3 000 users fit the smallest plan's heap with the web app configured (lib/config/memory.ts);
    // the run pushes 4× as many through
    cacheMaxUsers: num("cache-max-users", 3_000, 500),
    coldStarts: num("cold-starts", 5, 2),
    plan,
    memoryMb,
    heapLimitMb,
    soakSeconds: num("soak-duration", 600, 60),
    soakConnections: num("soak-connections", 50),
    soakUsers: num("soak-users", 200),
    soakSampleSeconds: num("soak-sample", 10, 5),
    soakCompare: flags.get("soak-compare") === "true",
    /** Extra node flags for the app (e.g. --node-flags=--max-semi-space-size=16), for tuning experiments. */
    nodeFlags: (flags.get("node-flags") ?? "").split(/\s+/).filter(Boolean),
    phases,
    quick,
  };
}
type Options = ReturnType<typeof parseArgs>;

const say = (line: string) => process.stdout.write(line + "\n");

// ---------------------------------------------------------------------------------------------
// processes

interface Context {
  opts: Options;
  tenant: TenantDescription;
  control: Control;
  appDir: string;
  logDir: string;
  notes: string[];
}

async function startApp(ctx: Context, name: string, env: Record<string, string> = {}, nodeArgs: string[] = [], heapLimit = ctx.opts.heapLimitMb): Promise<Managed> {
  const port = await freePort();
  return spawnServer({
    command: process.execPath,
    args: [...heapArgs(heapLimit), ...ctx.opts.nodeFlags, ...nodeArgs, "server.js"],
    cwd: path.join(ctx.appDir, ".next", "standalone"),
    env: appEnv(port, env),
    port,
    logFile: path.join(ctx.logDir, `${name}.log`),
    readyPath: "/api/health",
  });
}

async function startBaseline(ctx: Context): Promise<Managed> {
  const port = await freePort();
  const domain = ctx.tenant.users[0]?.username.split("@")[1] ?? "contoso.test";
  await ctx.control.createUsers(1, 1);
  const [graphToken, armToken] = await ctx.control.mint([
    // what the API's On-Behalf-Of token for Graph carries: every consented Graph permission
    // (/me/manager needs User.ReadBasic.All besides User.Read)
    { username: `loaduser1@${domain}`, scopes: ["https://graph.microsoft.com/User.Read", "https://graph.microsoft.com/User.ReadBasic.All"] },
    { username: `loaduser1@${domain}`, scopes: ["https://management.azure.com/user_impersonation"] },
  ]);
  return spawnServer({
    command: process.execPath,
    // react-server: the app's transport module is marked server-only, as a route handler sees it
    args: ["--conditions=react-server", "--import", "tsx", path.join(ROOT, "bench", "baseline-server.ts")],
    cwd: ROOT,
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

/** Every user's token once (what a burst of first sign-ins does): one OBO miss per user. */
async function firstCalls(origin: string, pathName: string, tokens: string[], concurrency = 16): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tokens.length) {
        const token = tokens[next++] ?? "";
        const res = await fetch(origin + pathName, { headers: { authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  return statuses;
}

// ---------------------------------------------------------------------------------------------
// phase: load (me, subscriptions, baseline)

/** Load on a fresh app before its first measured scenario, seconds. */
const SETTLE_SECONDS = 10;

async function loadPhase(ctx: Context, report: Report, firstLoad: (origin: string) => Promise<void>): Promise<void> {
  const { opts, control } = ctx;
  const tokens = await control.apiTokens(1, opts.users);
  const app = await startApp(ctx, "app-load");
  // floor: the cheapest protected request (proxy.ts + verification + a handler, no token request
  // and no downstream call): what Next.js and the verifier cost before any work is done.
  const scenarios: { key: "me" | "subscriptions" | "floor"; path: string; baselinePath?: string; tokenRequestsPerUser: number }[] = [
    { key: "me", path: "/api/me", baselinePath: "/me", tokenRequestsPerUser: 1 },
    { key: "subscriptions", path: "/api/subscriptions", baselinePath: "/subscriptions", tokenRequestsPerUser: 1 },
    { key: "floor", path: "/api/whoami", tokenRequestsPerUser: 0 },
  ];
  let latencyApp: LoadResult | undefined;
  let latencyBase: LoadResult | undefined;
  const ours: Partial<Record<"me" | "subscriptions" | "floor", { load: LoadResult; serial: SerialResult; warm: number; measured: number; rssBefore: number; rssAfter: number }>> = {};
  try {
    // Whichever route came first paid for the process settling (the heap growing from its startup
    // size, Next's own code compiling): 1.4-2.5 ms per request against 1.1 ms for the floor in a
    // settled process. Settle it on the floor route (no token requests to count) first.
    say(`\n[load] settling the new process: ${SETTLE_SECONDS} s on /api/whoami`);
    await runLoad({ url: app.origin, path: "/api/whoami", tokens, connections: opts.connections, durationSeconds: SETTLE_SECONDS });
    for (const s of scenarios) {
      say(`\n[load] ${s.path}: ${opts.users} users, first call each`);
      const rssBefore = rssMb(app.pid);
      const obo0 = await control.oboCount();
      const first = await firstCalls(app.origin, s.path, tokens);
      if (Object.keys(first).some((k) => k !== "200")) say(`  first calls answered ${JSON.stringify(first)}`);
      const obo1 = await control.oboCount();
      say(`  warm-up ${opts.warmupSeconds} s at ${opts.connections} connections`);
      await runLoad({ url: app.origin, path: s.path, tokens, connections: opts.connections, durationSeconds: opts.warmupSeconds });
      say(`  measuring ${opts.durationSeconds} s at ${opts.connections} connections`);
      const load = await runLoad({ url: app.origin, path: s.path, tokens, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: app.pid, emulator: emulatorPid() } });
      say(`  serial (1 connection) ${opts.serialSeconds} s`);
      const serial = await runSerial({ url: app.origin, path: s.path, tokens, durationSeconds: opts.serialSeconds });
      const obo2 = await control.oboCount();
      ours[s.key] = { load, serial, warm: obo1 - obo0, measured: obo2 - obo1, rssBefore, rssAfter: rssMb(app.pid) };
      say(`  ${load.rps} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, overhead p50 ${load.overheadP50Ms} ms p99 ${load.overheadP99Ms} ms, non-2xx ${load.non2xx}, OBO ${obo1 - obo0} + ${obo2 - obo1}, CPU ms/request ${JSON.stringify(load.cpuMsPerRequest)}`);
    }
    const errorLines = app.logLines().filter((l) => l.includes('"level":"error"'));
    if (errorLines.length) ctx.notes.push(`app logged ${errorLines.length} error lines during the load phase (see bench/out/logs/app-load.log)`);
    latencyApp = await latencyBound(ctx, app, "/api/me", tokens);
    if (opts.phases.has("firstload")) await firstLoad(app.origin);
  } finally {
    await app.stop();
  }

  // the baseline: same downstream calls, same emulator, a bare server with fixed tokens
  const baseline = await startBaseline(ctx);
  const base: Partial<Record<"me" | "subscriptions", BaselineScenario>> = {};
  try {
    for (const s of scenarios) {
      if (!s.baselinePath || s.key === "floor") continue;
      say(`\n[baseline] ${s.baselinePath}: warm-up ${opts.warmupSeconds} s, measuring ${opts.durationSeconds} s`);
      await runLoad({ url: baseline.origin, path: s.baselinePath, connections: opts.connections, durationSeconds: opts.warmupSeconds });
      const load = await runLoad({ url: baseline.origin, path: s.baselinePath, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: baseline.pid, emulator: emulatorPid() } });
      const serial = await runSerial({ url: baseline.origin, path: s.baselinePath, durationSeconds: opts.serialSeconds });
      base[s.key] = { rps: load.rps, p50Ms: load.p50Ms, p90Ms: load.p90Ms, p99Ms: load.p99Ms, non2xx: load.non2xx, requests: load.requests, cpuMsPerRequest: load.cpuMsPerRequest, serial };
      say(`  ${load.rps} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, non-2xx ${load.non2xx}, CPU ms/request ${JSON.stringify(load.cpuMsPerRequest)}`);
    }
    latencyBase = await latencyBound(ctx, baseline, "/me");
  } finally {
    await baseline.stop();
  }

  for (const s of scenarios) {
    const o = ours[s.key];
    const b = s.key === "floor" ? undefined : base[s.key];
    if (!o) continue;
    const scenario: Scenario = {
      rps: o.load.rps,
      p50Ms: o.load.p50Ms,
      p90Ms: o.load.p90Ms,
      p99Ms: o.load.p99Ms,
      non2xx: o.load.non2xx,
      overheadP50Ms: o.load.overheadP50Ms,
      overheadP99Ms: o.load.overheadP99Ms,
      idpTokenRequests: o.warm + o.measured,
      expectedTokenRequests: opts.users * s.tokenRequestsPerUser,
      path: s.path,
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
    report.scenarios[s.key] = scenario;
    if (s.key !== "floor") report.scenarios.baseline[s.key] = b ?? null;
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

/** Graph made slow on purpose (every call waits this long in the emulator), at modest concurrency. */
const LATENCY_MS = 50;
const LATENCY_CONNECTIONS = 10;

/**
 * The same /me call when Graph takes LATENCY_MS per call (closer to the real service) and the
 * concurrency is modest: throughput is then bound by latency, not by the server's CPU. Injected
 * with the emulator's "slow" fault on Graph, cleared afterwards.
 */
async function latencyBound(ctx: Context, server: Managed, pathName: string, tokens?: string[]): Promise<LoadResult> {
  const { opts, control } = ctx;
  say(`\n[latency-bound] ${pathName}: Graph +${LATENCY_MS} ms per call, ${LATENCY_CONNECTIONS} connections, ${opts.durationSeconds} s`);
  await control.fault({ target: "graph", mode: "slow", delayMs: LATENCY_MS });
  try {
    await runLoad({ url: server.origin, path: pathName, tokens, connections: LATENCY_CONNECTIONS, durationSeconds: Math.min(opts.warmupSeconds, 2) });
    const r = await runLoad({ url: server.origin, path: pathName, tokens, connections: LATENCY_CONNECTIONS, durationSeconds: opts.durationSeconds });
    say(`  ${r.rps} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, non-2xx ${r.non2xx}`);
    return r;
  } finally {
    await control.clearFaults();
  }
}

// ---------------------------------------------------------------------------------------------
// phase: cache scale

async function cachePhase(ctx: Context, report: Report): Promise<void> {
  const { opts } = ctx;
  const inspectPort = await freePort();
  say(`\n[cache] ${opts.cacheUsers} distinct users through /api/me, TOKEN_CACHE_MAX_USERS=${opts.cacheMaxUsers}`);
  const app = await startApp(ctx, "app-cache", { TOKEN_CACHE_MAX_USERS: String(opts.cacheMaxUsers) }, [`--inspect=127.0.0.1:${inspectPort}`]);
  try {
    report.cache = await runCacheScale({
      control: ctx.control,
      origin: app.origin,
      pid: app.pid,
      inspectPort,
      users: opts.cacheUsers,
      maxUsers: opts.cacheMaxUsers,
      apis: 2,
      firstUser: 100_001,
      log: say,
    });
  } finally {
    await app.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// phase: soak

async function soakOnce(ctx: Context, tokens: string[], heapLimit: number | null, name: string) {
  const { opts } = ctx;
  const inspectPort = await freePort();
  const app = await startApp(ctx, name, {}, [`--inspect=127.0.0.1:${inspectPort}`], heapLimit);
  try {
    // every user's first call (one OBO per API) before the clock starts, as in the load phase
    await firstCalls(app.origin, "/api/me", tokens);
    await firstCalls(app.origin, "/api/subscriptions", tokens);
    say(`  ${heapLimit === null ? "no heap limit (V8's own)" : `--max-old-space-size=${heapLimit} (plan ${opts.plan})`}: ${opts.soakSeconds} s at ${opts.soakConnections} connections, ${tokens.length} users over /api/me and /api/subscriptions`);
    const result = await runSoak({
      origin: app.origin,
      pid: app.pid,
      inspectPort,
      paths: ["/api/me", "/api/subscriptions"],
      tokens,
      connections: opts.soakConnections,
      durationSeconds: opts.soakSeconds,
      sampleEverySeconds: opts.soakSampleSeconds,
      log: say,
    });
    say(`  ${result.rps} req/s, non-2xx ${result.non2xx}, peak RSS ${result.peakRssMb} MB, RSS slope (last half) ${result.rssSlopeMbPerMinLastHalf} ± ${result.rssSlopeStdErrMbPerMin} MB/min (mean ${result.rssMeanMbFirstHalf} → ${result.rssMeanMbLastHalf} MB), peak heap ${result.peakHeapUsedMb} MB, CPU ${result.cpuMsPerRequest} ms/request`);
    return result;
  } finally {
    await app.stop();
  }
}

async function soakPhase(ctx: Context, report: Report): Promise<void> {
  const { opts } = ctx;
  say(`\n[soak] sustained load, RSS and heap sampled every ${opts.soakSampleSeconds} s`);
  // users of their own (not the load phase's): every soak starts with cold token caches
  const tokens = await ctx.control.apiTokens(50_001, opts.soakUsers);
  const limited = await soakOnce(ctx, tokens, opts.heapLimitMb, "app-soak");
  report.soak = { ...limited, plan: opts.plan, heapLimitMb: opts.heapLimitMb, paths: ["/api/me", "/api/subscriptions"], users: opts.soakUsers, connections: opts.soakConnections };
  if (opts.soakCompare && opts.heapLimitMb !== null) {
    const unlimited = await soakOnce(ctx, await ctx.control.apiTokens(60_001, opts.soakUsers), null, "app-soak-unlimited");
    report.soak.unlimited = { ...unlimited, heapLimitMb: null };
  }
}

// ---------------------------------------------------------------------------------------------
// phase: cold start

async function timeToHealthy(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, port: number): Promise<number> {
  const started = performance.now();
  const child = spawn(command, args, { cwd, env, stdio: "ignore", detached: true });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
      if ((await probe(`http://127.0.0.1:${port}/api/health`, 5_000)) === 200) return round(performance.now() - started, 0);
      if (Date.now() > deadline) throw new Error(`${command} not healthy within 60 s`);
      await sleep(5);
    }
  } finally {
    // npm → sh → node: stop the whole process group we started
    if (child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
    }
    await stopChild(child);
  }
}

async function coldStartPhase(ctx: Context, report: Report): Promise<void> {
  const { opts } = ctx;
  say(`\n[cold start] npm start → first 200 from /api/health, ${opts.coldStarts} runs (and node server.js directly)`);
  const runsMs: number[] = [];
  const nodeServerRunsMs: number[] = [];
  for (let i = 0; i < opts.coldStarts; i++) {
    const port = await freePort();
    // npm start applies the heap rule itself: to the plan's memory, as App Service would
    const memory: Record<string, string> = opts.memoryMb === null ? { NODE_HEAP_LIMIT_MB: "default" } : { APP_MEMORY_MB: String(opts.memoryMb) };
    runsMs.push(await timeToHealthy("npm", ["start", "--silent"], ctx.appDir, appEnv(port, { BIND_HOST: "127.0.0.1", ...memory }), port));
    const port2 = await freePort();
    nodeServerRunsMs.push(await timeToHealthy(process.execPath, [...heapArgs(opts.heapLimitMb), "server.js"], path.join(ctx.appDir, ".next", "standalone"), appEnv(port2), port2));
    say(`  run ${i + 1}: npm start ${runsMs[i]} ms, node server.js ${nodeServerRunsMs[i]} ms`);
  }
  report.coldStartMs = median(runsMs);
  report.coldStart = { command: "npm start (node scripts/start.mjs → .next/standalone/server.js)", runsMs, nodeServerRunsMs, nodeServerMedianMs: median(nodeServerRunsMs) };
}

// ---------------------------------------------------------------------------------------------
// phase: First Load JS

/** Strings that survive minification in msal-browser/msal-common/msal-react chunks (package names, error codes). */
const MSAL_MARKERS = ["@azure/msal", "msal.js.browser", "interaction_in_progress", "monitor_window_timeout", "endpoints_resolution_error"];

function firstLoadFromBuild(ctx: Context, report: Report): string[] {
  const statsFile = path.join(ctx.appDir, ".next", "diagnostics", "route-bundle-stats.json");
  if (!existsSync(statsFile)) {
    ctx.notes.push("no .next/diagnostics/route-bundle-stats.json in this build: First Load JS from the build skipped");
    return [];
  }
  const stats = JSON.parse(readFileSync(statsFile, "utf8")) as { route: string; firstLoadChunkPaths: string[] }[];
  // React, Next's client runtime and Turbopack's loader: every page loads these
  const manifestFile = path.join(ctx.appDir, ".next", "standalone", ".next", "build-manifest.json");
  const rootMain = new Set(existsSync(manifestFile) ? ((JSON.parse(readFileSync(manifestFile, "utf8")) as { rootMainFiles?: string[] }).rootMainFiles ?? []).map((f) => `.next/${f}`) : []);
  const gz = new Map<string, { gzip: number; raw: number; msal: boolean }>();
  const chunk = (p: string) => {
    let c = gz.get(p);
    if (!c) {
      const buf = readFileSync(path.join(ctx.appDir, ".next", "standalone", p));
      const text = buf.toString("utf8");
      c = { gzip: gzipSync(buf, { level: 9 }).length, raw: buf.length, msal: MSAL_MARKERS.some((m) => text.includes(m)) };
      gz.set(p, c);
    }
    return c;
  };
  const routes: string[] = [];
  const uncompressed: Record<string, number> = {};
  for (const s of stats.sort((a, b) => a.route.localeCompare(b.route))) {
    if (s.route.startsWith("/_")) continue;
    const files = s.firstLoadChunkPaths.map(chunk);
    report.firstLoadJsKb[s.route] = round(files.reduce((a, c) => a + c.gzip, 0) / 1000, 1);
    uncompressed[s.route] = round(files.reduce((a, c) => a + c.raw, 0) / 1000, 1);
    routes.push(s.route);
  }
  const home = stats.find((s) => s.route === "/");
  report.firstLoadJs = {
    method:
      "firstLoadJsKb: the chunks Next's build lists per route in .next/diagnostics/route-bundle-stats.json (firstLoadChunkPaths), each gzipped at level 9, summed, kB = 1000 bytes (what `next build` used to print as First Load JS). browserTransferKb: the same pages loaded in Chromium with an empty cache, encoded bytes of the app's own script responses until network idle (gzip as the standalone server sends it).",
    browserTransferKb: {},
    uncompressedKb: uncompressed,
    homeMsalKb: home ? round(home.firstLoadChunkPaths.map(chunk).filter((c) => c.msal).reduce((a, c) => a + c.gzip, 0) / 1000, 1) : null,
    homeFrameworkKb: home ? round(home.firstLoadChunkPaths.filter((p) => rootMain.has(p)).map(chunk).reduce((a, c) => a + c.gzip, 0) / 1000, 1) : null,
  };
  return routes;
}

async function firstLoadInBrowser(ctx: Context, report: Report, origin: string, routes: string[]): Promise<void> {
  if (!routes.length || !report.firstLoadJs) return;
  say(`\n[first load JS] Chromium, ${routes.join(" ")} (holding ${BUILD_LOCK})`);
  const res = spawnSync("flock", ["-w", "1800", BUILD_LOCK, process.execPath, "--import", "tsx", path.join(ROOT, "bench", "first-load-js.ts"), origin, ...routes], {
    cwd: ROOT,
    encoding: "utf8",
    env: process.env,
    timeout: 600_000,
  });
  if (res.status !== 0) {
    ctx.notes.push(`First Load JS in Chromium failed: ${(res.stderr || "").trim().slice(0, 300)}`);
    return;
  }
  const weights = JSON.parse(res.stdout.trim().split("\n").pop() ?? "{}") as Record<string, { encodedBytes: number }>;
  for (const [route, w] of Object.entries(weights)) report.firstLoadJs.browserTransferKb[route] = round(w.encodedBytes / 1000, 1);
}

// ---------------------------------------------------------------------------------------------
// targets and output

function evaluateTargets(report: Report): void {
  const t = report.targets;
  const fmt = (n: number | null | undefined, unit = "") => (n === null || n === undefined ? "n/a" : `${n}${unit}`);
  for (const key of ["me", "subscriptions"] as const) {
    const s = report.scenarios[key];
    if (!s) continue;
    t.push({ name: `${key}: overhead p50 (verify + obo)`, target: "≤ 0.5 ms", actual: fmt(s.overheadP50Ms, " ms"), met: s.overheadP50Ms === null ? null : s.overheadP50Ms <= 0.5 });
    t.push({ name: `${key}: overhead p99 (verify + obo)`, target: "≤ 3 ms", actual: fmt(s.overheadP99Ms, " ms"), met: s.overheadP99Ms === null ? null : s.overheadP99Ms <= 3 });
    t.push({ name: `${key}: throughput vs bare baseline`, target: "≥ 0.8×", actual: fmt(s.throughputVsBaseline, "×"), met: s.throughputVsBaseline === null ? null : s.throughputVsBaseline >= 0.8 });
    const base = report.scenarios.baseline[key];
    if (s.cpuMsPerRequest.app !== undefined && base?.cpuMsPerRequest.app !== undefined) {
      t.push({ name: `${key}: server CPU per request (explains the ratio)`, target: "(stated)", actual: `${s.cpuMsPerRequest.app} ms ours vs ${base.cpuMsPerRequest.app} ms bare`, met: null });
    }
    t.push({ name: `${key}: errors (non-2xx, socket errors, timeouts)`, target: "0", actual: String(s.non2xx + s.errors + s.timeouts), met: s.non2xx + s.errors + s.timeouts === 0 });
    t.push({
      name: `${key}: IdP token requests`,
      target: `= users × APIs (${s.expectedTokenRequests}), then 0`,
      actual: `${s.warmupTokenRequests} at first calls, ${s.measuredTokenRequests} during load`,
      met: s.idpTokenRequests === s.expectedTokenRequests && s.measuredTokenRequests === 0,
    });
  }
  const floor = report.scenarios.floor;
  const me = report.scenarios.me;
  const bareCpu = report.scenarios.baseline.cpuMsPerRequest?.app;
  if (floor?.cpuMsPerRequest.app !== undefined && me?.cpuMsPerRequest.app !== undefined && bareCpu !== undefined) {
    const bound = round(floor.cpuMsPerRequest.app + 1.5 * bareCpu, 2);
    t.push({
      name: "me: server CPU per request vs the Next.js floor",
      target: `≤ floor + 1.5 × bare (${floor.cpuMsPerRequest.app} + 1.5 × ${bareCpu} = ${bound} ms)`,
      actual: `${me.cpuMsPerRequest.app} ms`,
      met: me.cpuMsPerRequest.app <= bound,
    });
  }
  const soak = report.soak;
  if (soak) {
    const limit = soak.heapLimitMb === null ? "no heap limit" : `--max-old-space-size=${soak.heapLimitMb} (plan ${soak.plan})`;
    t.push({ name: `soak ${soak.durationS} s, ${limit}: peak RSS`, target: "≤ 256 MB", actual: `${soak.peakRssMb} MB`, met: soak.heapLimitMb === null ? null : soak.peakRssMb <= 256 });
    t.push({ name: "soak: RSS trend over the last half", target: "≤ 1 MB/min", actual: `${soak.rssSlopeMbPerMinLastHalf} ± ${soak.rssSlopeStdErrMbPerMin} MB/min (mean RSS ${soak.rssMeanMbFirstHalf} → ${soak.rssMeanMbLastHalf} MB by half)`, met: soak.rssSlopeMbPerMinLastHalf <= 1 });
    t.push({ name: "soak: errors (non-2xx, socket errors, timeouts)", target: "0", actual: String(soak.non2xx + soak.errors + soak.timeouts), met: soak.non2xx + soak.errors + soak.timeouts === 0 });
    if (soak.unlimited) {
      const u = soak.unlimited;
      t.push({ name: "soak: throughput with the limit vs without", target: "no loss (≥ 0.95×, run-to-run noise)", actual: `${soak.rps} vs ${u.rps} req/s (peak RSS ${soak.peakRssMb} vs ${u.peakRssMb} MB)`, met: soak.rps >= 0.95 * u.rps });
    }
  }
  const lb = report.scenarios.latencyBound;
  if (lb) {
    t.push({ name: `me with Graph +${lb.downstreamDelayMs} ms at ${lb.connections} connections: throughput vs baseline`, target: "≥ 0.8× (informative)", actual: `${lb.throughputVsBaseline}× (${lb.ours.rps} vs ${lb.baseline.rps} req/s)`, met: lb.throughputVsBaseline >= 0.8 });
  }
  if (report.cache) {
    const c = report.cache;
    t.push({ name: "cache: cap holds, memory bounded", target: "LRU evicts, live heap flat past the cap", actual: `capHeld=${c.capHeld}, live heap growth after cap ${fmt(c.liveHeapGrowthAfterCapMb, " MB")}, RSS growth ${c.rssGrowthMb} MB`, met: c.capHeld });
  }
  if (report.coldStartMs !== null) t.push({ name: "cold start (npm start → /api/health 200, median)", target: "≤ 1500 ms", actual: `${report.coldStartMs} ms`, met: report.coldStartMs <= 1500 });
  const home = report.firstLoadJsKb["/"];
  if (home !== undefined) t.push({ name: "home page First Load JS", target: "as small as msal allows (stated)", actual: `${home} kB gzip: ${fmt(report.firstLoadJs?.homeFrameworkKb, " kB")} React/Next runtime, ${fmt(report.firstLoadJs?.homeMsalKb, " kB")} in chunks with MSAL code`, met: null });
}

function printTables(report: Report): void {
  const rows: (string | number | null)[][] = [["scenario", "req/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "overhead p50", "overhead p99", "IdP tokens", "expected", "vs baseline", "serial p50", "CPU ms/req", "RSS MB"]];
  const floor = report.scenarios.floor;
  if (floor) rows.push(["/api/whoami (floor)", floor.rps, floor.p50Ms, floor.p90Ms, floor.p99Ms, floor.non2xx, floor.overheadP50Ms, floor.overheadP99Ms, floor.idpTokenRequests, floor.expectedTokenRequests, null, floor.serial.p50Ms, floor.cpuMsPerRequest.app ?? null, `${floor.rssBeforeMb}→${floor.rssAfterMb}`]);
  for (const key of ["me", "subscriptions"] as const) {
    const s = report.scenarios[key];
    const b = report.scenarios.baseline[key];
    if (s) rows.push([`/api/${key}`, s.rps, s.p50Ms, s.p90Ms, s.p99Ms, s.non2xx, s.overheadP50Ms, s.overheadP99Ms, s.idpTokenRequests, s.expectedTokenRequests, s.throughputVsBaseline, s.serial.p50Ms, s.cpuMsPerRequest.app ?? null, `${s.rssBeforeMb}→${s.rssAfterMb}`]);
    if (b) rows.push([`baseline /${key}`, b.rps, b.p50Ms, b.p90Ms, b.p99Ms, b.non2xx, null, null, null, null, 1, b.serial.p50Ms, b.cpuMsPerRequest.app ?? null, null]);
  }
  const lb = report.scenarios.latencyBound;
  if (lb) {
    rows.push([`/api/me, Graph +${lb.downstreamDelayMs} ms, ${lb.connections} conn.`, lb.ours.rps, lb.ours.p50Ms, null, lb.ours.p99Ms, lb.ours.non2xx, null, null, null, null, lb.throughputVsBaseline, null, null, null]);
    rows.push([`baseline /me, Graph +${lb.downstreamDelayMs} ms, ${lb.connections} conn.`, lb.baseline.rps, lb.baseline.p50Ms, null, lb.baseline.p99Ms, lb.baseline.non2xx, null, null, null, null, 1, null, null, null]);
  }
  if (rows.length > 1) say("\n" + table(rows));
  if (report.cache) {
    const c = report.cache;
    say(
      "\n" +
        table([
          ["cache scale", "users", "cap (partitions)", "OBO misses", "RSS start", "RSS end", "RSS growth", "live heap growth after cap", "capHeld", "seconds"],
          ["/api/me", c.users, c.partitionCap, c.oboMisses, c.rssStartMb, c.rssEndMb, c.rssGrowthMb, c.liveHeapGrowthAfterCapMb, String(c.capHeld), c.durationSeconds],
        ]),
    );
  }
  if (report.soak) {
    const runs = [report.soak, ...(report.soak.unlimited ? [report.soak.unlimited] : [])];
    say(
      "\n" +
        table([
          ["soak", "heap limit MB", "seconds", "req/s", "non-2xx", "RSS start", "peak RSS", "RSS MB/min (last half)", "± MB/min", "peak heap used", "CPU ms/req"],
          ...runs.map((r) => [r === report.soak ? `plan ${report.soak?.plan}` : "no limit", r.heapLimitMb, r.durationS, r.rps, r.non2xx, r.rssStartMb, r.peakRssMb, r.rssSlopeMbPerMinLastHalf, r.rssSlopeStdErrMbPerMin, r.peakHeapUsedMb, r.cpuMsPerRequest]),
        ]),
    );
  }
  if (report.coldStart) say(`\ncold start: npm start median ${report.coldStartMs} ms (${report.coldStart.runsMs.join(", ")}); node server.js median ${report.coldStart.nodeServerMedianMs} ms`);
  const routes = Object.keys(report.firstLoadJsKb);
  if (routes.length) {
    say(
      "\n" +
        table([
          ["First Load JS", ...routes],
          ["build, gzip kB", ...routes.map((r) => report.firstLoadJsKb[r] ?? null)],
          ["Chromium transfer kB", ...routes.map((r) => report.firstLoadJs?.browserTransferKb[r] ?? null)],
          ["uncompressed kB", ...routes.map((r) => report.firstLoadJs?.uncompressedKb[r] ?? null)],
        ]),
    );
  }
  say("\n" + table([["target", "goal", "actual", "met"], ...report.targets.map((t) => [t.name, t.target, t.actual, t.met === null ? "(stated)" : t.met ? "yes" : "NO"])]));
  for (const n of report.run.notes) say(`note: ${n}`);
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const tenant = loadTenant();
  const control = new Control(tenant);
  const runDir = path.join(OUT, `run-${process.pid}`);
  const logDir = path.join(OUT, "logs");
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const ctx: Context = { opts, tenant, control, appDir: runDir, logDir, notes: [] };

  const build = opts.build === "always" || (opts.build === "auto" && buildIsStale());
  say(`[build] ${build ? "building the standalone app, then " : ""}copying it to ${path.relative(ROOT, runDir)} (lock ${BUILD_LOCK})`);
  const buildId = snapshotBuild(runDir, build);

  const report: Report = {
    machine: machineInfo(),
    scenarios: { me: null, subscriptions: null, floor: null, baseline: { rps: null, cpuMsPerRequest: null, me: null, subscriptions: null }, latencyBound: null },
    cache: null,
    soak: null,
    coldStartMs: null,
    firstLoadJsKb: {},
    coldStart: null,
    firstLoadJs: null,
    targets: [],
    run: { startedAt: new Date().toISOString(), finishedAt: "", buildId, options: { ...opts, phases: [...opts.phases] }, notes: ctx.notes },
  };
  if (os.loadavg()[0]! > 0.5) ctx.notes.push(`the machine was busy when the run started (1-minute load average ${round(os.loadavg()[0]!, 2)}): other processes compete for the same cores`);

  try {
    const routes = opts.phases.has("firstload") ? firstLoadFromBuild(ctx, report) : [];
    if (opts.phases.has("load")) {
      await loadPhase(ctx, report, (origin) => firstLoadInBrowser(ctx, report, origin, routes.filter((r) => !r.startsWith("/api"))));
    } else if (opts.phases.has("firstload")) {
      const app = await startApp(ctx, "app-firstload");
      try {
        await firstLoadInBrowser(ctx, report, app.origin, routes);
      } finally {
        await app.stop();
      }
    }
    if (opts.phases.has("cache")) await cachePhase(ctx, report);
    if (opts.phases.has("soak")) await soakPhase(ctx, report);
    if (opts.phases.has("coldstart")) await coldStartPhase(ctx, report);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }

  (report.machine as Record<string, unknown>).loadAvgAtEnd = os.loadavg().map((l) => round(l, 2));
  report.run.finishedAt = new Date().toISOString();
  evaluateTargets(report);
  writeFileSync(REPORT, JSON.stringify(report, null, 2) + "\n");
  printTables(report);
  say(`\nwrote ${path.relative(ROOT, REPORT)} (app logs in ${path.relative(ROOT, logDir)}/)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
