/**
 * `npm run bench`: measures the middle tier against its targets and writes bench/report.json
 * (shape: bench/lib/report.ts). Run it beside a fresh identity emulator:
 *
 *   npx tsx scripts/with-emulator.ts tsx bench/run.ts [options]      (options: bench/lib/options.ts)
 *
 * Scenarios, in the order they run (one file each in bench/scenarios/):
 *   first-load.ts   First Load JS from the build (static; the Chromium half runs inside load)
 *   load.ts         floor, /api/me, /api/subscriptions on one app, then latency-bound.ts and the
 *                   bare baseline
 *   cache.ts        many distinct users through a capped token cache
 *   soak.ts         minutes of load with tokens renewed during it
 *   cold-start.ts   npm start / node server.js → first healthy answer
 *
 * Processes: the emulator (token endpoint, Graph, ARM) lives in the launcher's process; the app
 * (`node .next/standalone/server.js`, NODE_ENV=production) and the bare baseline server are
 * separate children with their own ports; autocannon runs here. All share the machine's cores.
 * Exit code: 1 when a stated target was missed (the report is written first), 2 on bad options.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { say, startApp, type BenchContext } from "./lib/context";
import { Control, loadTenant } from "./lib/emulator";
import { parseArgs, type Options } from "./lib/options";
import { printTables } from "./lib/print";
import { machineInfo, type Report } from "./lib/report";
import { BUILD_LOCK, buildIsStale, snapshotBuild } from "./lib/snapshot";
import { round } from "./lib/stats";
import { evaluateTargets, missedTargets } from "./lib/targets";
import { cachePhase } from "./scenarios/cache";
import { coldStartPhase } from "./scenarios/cold-start";
import { firstLoadFromBuild, firstLoadInBrowser } from "./scenarios/first-load";
import { loadPhase } from "./scenarios/load";
import { soakPhase } from "./scenarios/soak";

const ROOT = process.cwd();
const OUT = path.join(ROOT, "bench", "out");
const REPORT = path.join(ROOT, "bench", "report.json");

async function main(opts: Options): Promise<number> {
  const tenant = loadTenant();
  const control = new Control(tenant);
  const runDir = path.join(OUT, `run-${process.pid}`);
  const logDir = path.join(OUT, "logs");
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const ctx: BenchContext = { opts, tenant, control, appDir: runDir, logDir, notes: [] };

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
  report.targets = evaluateTargets(report);
  writeFileSync(REPORT, JSON.stringify(report, null, 2) + "\n");
  printTables(report);
  say(`\nwrote ${path.relative(ROOT, REPORT)} (app logs in ${path.relative(ROOT, logDir)}/)`);
  const missed = missedTargets(report);
  if (missed.length) {
    say(`\n${missed.length} target(s) missed: ${missed.map((t) => t.name).join("; ")}`);
    return 1;
  }
  return 0;
}

let opts: Options;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}\nusage: npm run bench -- [options]; the options are listed in bench/lib/options.ts and docs/performance.md`);
  process.exit(2);
}
main(opts).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
