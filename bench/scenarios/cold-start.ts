/**
 * Cold start: `npm start` in a copy of the build laid out like the repository (APP_MEMORY_MB set
 * to the plan's memory, so it applies the same heap rule) → first 200 from /api/health, polled
 * every 5 ms; the median of <cold-starts> runs, and the same for `node server.js` directly.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { say, type BenchContext } from "../lib/context";
import { heapArgs } from "../lib/plan";
import { appEnv, freePort, probe, sleep, stopChild } from "../lib/proc";
import type { Report } from "../lib/report";
import { median, round } from "../lib/stats";

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

export async function coldStartPhase(ctx: BenchContext, report: Report): Promise<void> {
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
