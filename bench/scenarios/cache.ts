/**
 * Cache scale: a separate app with TOKEN_CACHE_MAX_USERS=<cache-max-users> and --inspect on
 * loopback; <cache-users> distinct users call /api/me once each (cold: each one an OBO miss);
 * live heap after forced GCs and RSS at checkpoints; LRU probes at the end (bench/lib/cache-scale.ts).
 */
import { say, startApp, type BenchContext } from "../lib/context";
import { runCacheScale } from "../lib/cache-scale";
import { freePort } from "../lib/proc";
import type { Report } from "../lib/report";

export async function cachePhase(ctx: BenchContext, report: Report): Promise<void> {
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
    if (report.cache.heapProbeFailures > 0) ctx.notes.push(`cache: ${report.cache.heapProbeFailures} heap probe(s) failed, so the live heap could not be shown flat: capHeld=false`);
  } finally {
    await app.stop();
  }
}
