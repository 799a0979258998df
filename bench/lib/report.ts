/**
 * The report's shape (bench/report.json). The keys the issues name are a public interface:
 *   machine, scenarios.{me,subscriptions,floor}: Scenario (cpuMsPerRequest.app and
 *   proxyVerifyMs.{firstSeenP50,memoP50} among them), scenarios.baseline.{rps,cpuMsPerRequest},
 *   cache.{users,rssGrowthMb,capHeld}, coldStartMs, firstLoadJsKb.{<route>},
 *   soak.{durationS,rps,non2xx,peakRssMb,rssSlopeMbPerMinLastHalf,oboMisses,cacheEvictions}
 * Everything else is additional detail and may change.
 */
import os from "node:os";
import type { SerialResult } from "./load";
import type { SoakResult } from "./soak";
import { round } from "./stats";

export interface Scenario {
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  /**
   * proxy.ts's and the handler's verification + the token cache (Server-Timing proxy-verify +
   * verify + obo), per measured request (every token memoized, every OBO a hit).
   */
  overheadP50Ms: number | null;
  overheadP99Ms: number | null;
  /** On-Behalf-Of token requests the emulator counted for the API during warm-up + measured run. */
  idpTokenRequests: number;
  /** users × downstream APIs this route calls (one). */
  expectedTokenRequests: number;
  /**
   * What proxy.ts's verification cost a caller (Server-Timing proxy-verify): the first time a token
   * is seen (tokens never seen, one request at a time) and once memoized (the measured run).
   */
  proxyVerifyMs: {
    firstSeenP50: number | null;
    memoP50: number | null;
    // ---- detail
    firstSeenP99: number | null;
    memoP99: number | null;
    firstSeenSamples: number;
    /** The same in the route's burst of first calls (16 at a time: waits behind the others included). */
    firstSeenBurstP50: number | null;
    firstSeenBurstP99: number | null;
    memoSamples: number;
    /** Full verifications during the measured run (0: every token was memoized). */
    fullDuringLoad: number;
  };
  /** The server's time per request since proxy.ts started (total) and that minus the downstream waits (self). */
  serverMs: { totalP50Ms: number | null; totalP99Ms: number | null; selfP50Ms: number | null; selfP99Ms: number | null; serialSelfP50Ms: number | null };
  // ---- additional detail
  path: string;
  users: number;
  connections: number;
  durationSeconds: number;
  requests: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  verifyP50Ms: number | null;
  oboP50Ms: number | null;
  oboOutcomes: Record<string, number>;
  warmupTokenRequests: number;
  measuredTokenRequests: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  /** CPU time per request (ms) of the app, the emulator and the load generator during the measured run. */
  cpuMsPerRequest: Record<string, number>;
  /** Our requests/s divided by the bare baseline's for the same downstream call. */
  throughputVsBaseline: number | null;
  /** One connection, one request at a time (no queueing): latency, and ours minus the baseline's. */
  serial: SerialResult & { p50MinusBaselineMs: number | null };
}

export interface BaselineScenario {
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  requests: number;
  cpuMsPerRequest: Record<string, number>;
  serial: SerialResult;
}

export interface CacheReport {
  users: number;
  rssGrowthMb: number;
  capHeld: boolean;
  // ---- additional detail
  tokenCacheMaxUsers: number;
  /** Entries the token cache holds at most: TOKEN_CACHE_MAX_USERS × downstream APIs. */
  partitionCap: number;
  route: string;
  durationSeconds: number;
  oboMisses: number;
  rssStartMb: number;
  rssEndMb: number;
  /** RSS and live V8 heap after a full GC forced through the inspector at each checkpoint. */
  checkpoints: { users: number; rssMb: number; liveHeapAfterGcMb: number | null; elapsedSeconds: number }[];
  /** Probes after the run: recent users must be cache hits, the oldest misses (evicted). */
  probes: { user: number; expected: "hit" | "miss"; obo: string }[];
  liveHeapGrowthAfterCapMb: number | null;
  /** Checkpoints whose forced GC + heap reading failed: any makes capHeld false. */
  heapProbeFailures: number;
  nonOk: number;
}

/** One soak run: the per-second RSS and heap figures (SoakResult) and what ran during it. */
export interface SoakRun extends SoakResult {
  /** On-Behalf-Of token requests the emulator counted during the soak (not the first calls). */
  oboMisses: number;
  /** Entries the app's token cache dropped during the soak (expired or over the cap). */
  cacheEvictions: number;
  // ---- detail
  evictions: { expired: number; overCap: number };
  /** Tokens for the API the load's clients renewed during the soak. */
  tokenRenewals: number;
  tokenLifetimes: { apiSeconds: number; oboSeconds: number; renewalOffsetSeconds: number };
}

export type SoakReport = SoakRun & { plan: string; heapLimitMb: number | null; paths: string[]; users: number; connections: number; unlimited?: SoakRun & { heapLimitMb: null } };

export interface Report {
  machine: Record<string, unknown>;
  scenarios: {
    me: Scenario | null;
    subscriptions: Scenario | null;
    /** The cheapest protected request (/api/whoami: proxy.ts + verification + a handler, nothing downstream). */
    floor: Scenario | null;
    baseline: {
      rps: number | null;
      /** CPU ms per request of the bare server's /me (the same two Graph calls as /api/me). */
      cpuMsPerRequest: Record<string, number> | null;
      me: BaselineScenario | null;
      subscriptions: BaselineScenario | null;
    };
    /** /api/me vs the baseline when every Graph call takes `downstreamDelayMs` (latency-bound, modest concurrency). */
    latencyBound: {
      path: string;
      downstreamDelayMs: number;
      connections: number;
      durationSeconds: number;
      ours: { rps: number; p50Ms: number; p99Ms: number; non2xx: number };
      baseline: { rps: number; p50Ms: number; p99Ms: number; non2xx: number };
      throughputVsBaseline: number;
    } | null;
  };
  cache: CacheReport | null;
  /** Sustained load under the plan's heap limit (and, with --soak-compare, `unlimited`: the same without one). */
  soak: SoakReport | null;
  coldStartMs: number | null;
  firstLoadJsKb: Record<string, number>;
  // ---- additional detail
  coldStart: { command: string; runsMs: number[]; nodeServerRunsMs: number[]; nodeServerMedianMs: number | null } | null;
  firstLoadJs: {
    method: string;
    /** Same routes measured in Chromium: encoded (gzip as served) bytes of the app's JS, kB. */
    browserTransferKb: Record<string, number>;
    uncompressedKb: Record<string, number>;
    /** The part of the home page's First Load JS in chunks that hold msal-browser/msal-react. */
    homeMsalKb: number | null;
    /** The part in the framework chunks every page loads (build-manifest rootMainFiles: React, Next runtime). */
    homeFrameworkKb: number | null;
  } | null;
  targets: { name: string; target: string; actual: string; met: boolean | null }[];
  run: { startedAt: string; finishedAt: string; buildId: string; options: Record<string, unknown>; notes: string[] };
}

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    cpuMhz: cpus[0]?.speed ?? null,
    memoryGb: round(os.totalmem() / 1024 ** 3, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAvgAtStart: os.loadavg().map((l) => round(l, 2)),
    sharedCores:
      "The identity emulator (token endpoint, Graph and ARM), the app (or the baseline server) and the load generator (autocannon) are separate processes on these same cores.",
  };
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + " ".repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : " ".repeat(n - s.length) + s);

export function table(rows: (string | number | null)[][]): string {
  const cells = rows.map((r) => r.map((c) => (c === null ? "–" : String(c))));
  const widths: number[] = [];
  for (const r of cells) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return cells
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? pad(c, widths[i] ?? 0) : lpad(c, widths[i] ?? 0))).join("  ");
      return ri === 0 ? `${line}\n${"-".repeat(line.length)}` : line;
    })
    .join("\n");
}
