/**
 * `npm run bench:profile`: a CPU profile of the standalone app under steady load on one route,
 * and where the time went (self time per code origin and per function), so that a change to the
 * hot path starts from a measurement. Beside a fresh emulator, like `npm run bench`:
 *
 *   npm run bench:profile -- [--path=/api/me] [--duration=15] [--warmup=5] [--connections=20] [--users=200] [--build=auto|always|never] [--plan=B1|none] [--profile=false] [--repeat=1]
 *
 * --profile=false measures only the app's CPU ms per request (no profiler attached), --repeat=N
 * times, and prints each and the median: the quick A/B loop for a change to the hot path.
 *
 * Writes bench/out/profiles/<route>-<time>.cpuprofile (open it in Chrome DevTools or VS Code) and
 * prints the summary and the app's CPU ms per request over the profiled window.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { Control, loadTenant } from "./lib/emulator";
import { heapArgs, planHeapLimit } from "./lib/plan";
import { runLoad } from "./lib/load";
import { appEnv, freePort, spawnServer } from "./lib/proc";
import { summarize, type CpuProfile } from "./lib/profile-summary";
import { table } from "./lib/report";
import { median } from "./lib/stats";
import { buildIsStale, snapshotBuild } from "./lib/snapshot";

const ROOT = process.cwd();
const OUT = path.join(ROOT, "bench", "out");

function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(a);
    if (!m?.[1]) throw new Error(`unknown argument ${a} (options are --name=value)`);
    flags.set(m[1], m[2] ?? "");
  }
  const num = (name: string, dflt: number) => {
    const v = Number(flags.get(name) ?? dflt);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  return {
    path: flags.get("path") ?? "/api/me",
    durationSeconds: num("duration", 15),
    warmupSeconds: num("warmup", 5),
    connections: num("connections", 20),
    users: num("users", 200),
    build: (flags.get("build") ?? "auto") as "auto" | "always" | "never",
    profile: flags.get("profile") !== "false",
    repeat: num("repeat", 1),
    heapLimitMb: planHeapLimit(flags.get("plan")).heapLimitMb,
  };
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const control = new Control(loadTenant());
  const runDir = path.join(OUT, `profile-${process.pid}`);
  const profileDir = path.join(OUT, "profiles");
  mkdirSync(profileDir, { recursive: true });
  snapshotBuild(runDir, opts.build === "always" || (opts.build === "auto" && buildIsStale()));
  const port = await freePort();
  const inspectPort = await freePort();
  const app = await spawnServer({
    command: process.execPath,
    args: [...heapArgs(opts.heapLimitMb), `--inspect=127.0.0.1:${inspectPort}`, "server.js"],
    cwd: path.join(runDir, ".next", "standalone"),
    env: appEnv(port),
    port,
    logFile: path.join(profileDir, "app.log"),
    readyPath: "/api/health",
  });
  try {
    const tokens = await control.apiTokens(70_001, opts.users);
    console.log(`warm-up ${opts.warmupSeconds} s on ${opts.path} (${opts.users} users, ${opts.connections} connections)`);
    await runLoad({ url: app.origin, path: opts.path, tokens, connections: opts.connections, durationSeconds: opts.warmupSeconds });
    if (!opts.profile) {
      const runs: number[] = [];
      for (let i = 0; i < opts.repeat; i++) {
        const load = await runLoad({ url: app.origin, path: opts.path, tokens, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: app.pid } });
        runs.push(load.cpuMsPerRequest.app ?? NaN);
        console.log(`run ${i + 1}: ${load.rps} req/s, non-2xx ${load.non2xx}, app CPU ${load.cpuMsPerRequest.app} ms/request`);
      }
      console.log(`median app CPU ${median(runs)} ms/request over ${runs.length} run(s) of ${opts.durationSeconds} s`);
      return 0;
    }
    const file = path.join(profileDir, `${opts.path.replace(/\W+/g, "-").replace(/^-|-$/g, "")}-${Date.now()}.cpuprofile`);
    console.log(`profiling ${opts.durationSeconds} s under the same load`);
    const profiler = spawn(process.execPath, ["--experimental-websocket", "--no-warnings", "--import", "tsx", path.join(__dirname, "lib", "cpu-profiler.ts"), String(inspectPort), String(opts.durationSeconds * 1000), file], { stdio: "inherit" });
    const load = await runLoad({ url: app.origin, path: opts.path, tokens, connections: opts.connections, durationSeconds: opts.durationSeconds, cpuOf: { app: app.pid } });
    await new Promise<void>((resolve) => (profiler.exitCode !== null ? resolve() : profiler.once("exit", () => resolve())));
    const summary = summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
    console.log(`\n${load.rps} req/s, non-2xx ${load.non2xx}, app CPU ${load.cpuMsPerRequest.app} ms/request (profiler attached: a little above an unprofiled run)`);
    console.log("\n" + table([["self time by origin", "ms", "%"], ...summary.byOrigin.map((o) => [o.origin, o.ms, o.pct])]));
    console.log("\n" + table([["function", "origin", "ms", "%"], ...summary.topFunctions.map((f) => [f.fn, f.origin, f.ms, f.pct])]));
    console.log(`\nwrote ${path.relative(ROOT, file)}`);
    return load.non2xx === 0 ? 0 : 1;
  } finally {
    await app.stop();
    rmSync(runDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:profile: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);

