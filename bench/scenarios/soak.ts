/**
 * Soak: a fresh app under the plan's heap limit, 200 users of its own; every user's first call
 * (one OBO per API) is made before the clock starts, then <soak> seconds at 50 connections over
 * /api/me and /api/subscriptions. `--soak=1800` is the run whose figures docs/performance.md publishes.
 *
 * Tokens live shorter than the soak, so renewal, OBO misses and cache evictions run during it.
 * MSAL (browser and node) and the app's hot cache renew a token RENEWAL_OFFSET_S before it
 * expires; with a renewal period P = soak / 6:
 * - the emulator issues OBO tokens (Graph, ARM) that live 300 s + P: each is due for renewal P
 *   after it was issued; the user's next call finds it expired in the hot cache (an eviction) and
 *   makes a token request (an OBO miss);
 * - the users' own tokens for the API live 300 s + 2P and are renewed as msal-browser does, once
 *   due (their first expiries are staggered over 2P, so renewals are spread): each renewal is a
 *   new assertion, verified in full once and answered by a new OBO.
 * For the 30-minute soak that is 10-minute OBO tokens (Entra's shortest configurable lifetime)
 * renewed every 5 minutes, and 15-minute API tokens renewed every 10.
 *
 * Counted during the soak (not the first calls): OBO misses by the emulator (on_behalf_of requests
 * of the API's client id), evictions by the app (its token cache's counters, read from
 * /api/health with HEALTH_DETAILS=true: counts only; the soak app is started with it).
 */
import { say, firstCalls, startApp, type BenchContext } from "../lib/context";
import { freePort, type Managed } from "../lib/proc";
import type { Report, SoakRun } from "../lib/report";
import { runSoak } from "../lib/soak";

/** msal-browser's and msal-node's tokenRenewalOffsetSeconds, and the app's hot cache's. */
export const RENEWAL_OFFSET_S = 300;

export function soakLifetimes(soakSeconds: number): { periodSeconds: number; oboSeconds: number; apiSeconds: number } {
  const periodSeconds = Math.max(10, Math.round(soakSeconds / 6));
  return { periodSeconds, oboSeconds: RENEWAL_OFFSET_S + periodSeconds, apiSeconds: RENEWAL_OFFSET_S + 2 * periodSeconds };
}

const PATHS = ["/api/me", "/api/subscriptions"];

export async function soakPhase(ctx: BenchContext, report: Report): Promise<void> {
  const { opts } = ctx;
  const lifetimes = soakLifetimes(opts.soakSeconds);
  say(`\n[soak] sustained load, RSS read every second and sampled with the heap every ${opts.soakSampleSeconds} s; OBO tokens live ${lifetimes.oboSeconds} s, the users' ${lifetimes.apiSeconds} s (renewed ${RENEWAL_OFFSET_S} s before expiry)`);
  // users of their own (not the load phase's): every soak starts with cold token caches
  const limited = await soakOnce(ctx, 50_001, opts.heapLimitMb, "app-soak");
  report.soak = { ...limited, plan: opts.plan, heapLimitMb: opts.heapLimitMb, paths: PATHS, users: opts.soakUsers, connections: opts.soakConnections };
  if (opts.soakCompare && opts.heapLimitMb !== null) {
    const unlimited = await soakOnce(ctx, 60_001, null, "app-soak-unlimited");
    report.soak.unlimited = { ...unlimited, heapLimitMb: null };
  }
}

interface CacheCounters {
  expired: number;
  overCap: number;
}

async function cacheCounters(app: Managed): Promise<CacheCounters> {
  const res = await fetch(`${app.origin}/api/health`);
  const body = (await res.json()) as { checks?: { tokenCache?: { evictions?: CacheCounters } } };
  const e = body.checks?.tokenCache?.evictions;
  if (!e) throw new Error(`/api/health gave no token cache counters (HEALTH_DETAILS=true expected): ${JSON.stringify(body).slice(0, 200)}`);
  return e;
}

async function soakOnce(ctx: BenchContext, firstUser: number, heapLimit: number | null, name: string): Promise<SoakRun> {
  const { opts, control } = ctx;
  const users = opts.soakUsers;
  const { periodSeconds, oboSeconds, apiSeconds } = soakLifetimes(opts.soakSeconds);
  const previous = await control.settings();
  await control.settings({ tokenLifetimeSeconds: oboSeconds });
  const inspectPort = await freePort();
  const app = await startApp(ctx, name, { HEALTH_DETAILS: "true" }, [`--inspect=127.0.0.1:${inspectPort}`], heapLimit);
  try {
    // first expiries staggered over 2P: user i is due for renewal 2P·(i+1)/N after now
    const mintedAt = Date.now();
    const tokens = await control.apiTokens(firstUser, users, { expiresIn: (i) => RENEWAL_OFFSET_S + Math.ceil((2 * periodSeconds * (i + 1)) / users) });
    const dueAt = tokens.map((_, i) => mintedAt + Math.ceil((2 * periodSeconds * (i + 1)) / users) * 1000);
    let renewals = 0;
    const renewDue = async () => {
      const now = Date.now();
      const due = dueAt.flatMap((t, i) => (t <= now ? [i] : []));
      if (!due.length) return;
      const fresh = await control.mintApiTokens(
        due.map((i) => firstUser + i),
        () => apiSeconds,
      );
      due.forEach((i, k) => {
        tokens[i] = fresh[k] ?? tokens[i] ?? "";
        dueAt[i] = now + (apiSeconds - RENEWAL_OFFSET_S) * 1000;
      });
      renewals += due.length;
    };

    // every user's first call (one OBO per API) before the clock starts, as in the load phase
    for (const p of PATHS) await firstCalls(app.origin, p, tokens);
    await renewDue();
    say(`  ${heapLimit === null ? "no heap limit (V8's own)" : `--max-old-space-size=${heapLimit} (plan ${opts.plan})`}: ${opts.soakSeconds} s at ${opts.soakConnections} connections, ${users} users over ${PATHS.join(" and ")}`);
    const obo0 = await control.oboCount();
    const evictions0 = await cacheCounters(app);
    renewals = 0;
    const result = await runSoak({
      origin: app.origin,
      pid: app.pid,
      inspectPort,
      paths: PATHS,
      tokens,
      connections: opts.soakConnections,
      durationSeconds: opts.soakSeconds,
      sampleEverySeconds: opts.soakSampleSeconds,
      tick: renewDue,
      log: say,
    });
    const oboMisses = (await control.oboCount()) - obo0;
    const evictions1 = await cacheCounters(app);
    const evictions = { expired: evictions1.expired - evictions0.expired, overCap: evictions1.overCap - evictions0.overCap };
    const cacheEvictions = evictions.expired + evictions.overCap;
    say(
      `  ${result.rps} req/s, non-2xx ${result.non2xx}, peak RSS ${result.peakRssMb} MB (per-second readings), RSS slope (last half) ${result.rssSlopeMbPerMinLastHalf} ± ${result.rssSlopeStdErrMbPerMin} MB/min (mean ${result.rssMeanMbFirstHalf} → ${result.rssMeanMbLastHalf} MB), ` +
        `peak heap ${result.peakHeapUsedMb} MB, CPU ${result.cpuMsPerRequest} ms/request; during the soak: ${renewals} client token renewals, ${oboMisses} OBO misses, ${cacheEvictions} cache evictions (${evictions.expired} expired, ${evictions.overCap} over the cap)`,
    );
    return { ...result, oboMisses, cacheEvictions, evictions, tokenRenewals: renewals, tokenLifetimes: { apiSeconds, oboSeconds, renewalOffsetSeconds: RENEWAL_OFFSET_S } };
  } finally {
    await app.stop();
    await control.settings({ tokenLifetimeSeconds: previous.tokenLifetimeSeconds ?? 3600 });
  }
}
