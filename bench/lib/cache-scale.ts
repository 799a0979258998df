/**
 * Cache scale: many distinct users pushed through the RUNNING app's token cache (each one a real
 * On-Behalf-Of miss against the emulator, then stored in the LRU), with RSS and the live V8 heap
 * read at checkpoints, then probes that show the LRU cap held: the most recent users are still
 * cache hits, the oldest ones were evicted (a miss again).
 *
 * RSS alone cannot show a bound: V8 grows its heap with the allocation rate and gives memory back
 * lazily, so RSS keeps rising long after the live set stopped growing. The app therefore runs
 * with --inspect on a loopback port, and at each checkpoint a full GC is forced through the
 * inspector (bench/lib/heap-probe.ts) before the live heap and RSS are read.
 */
import { execFileSync } from "node:child_process";
import http from "node:http";
import path from "node:path";
import type { Control } from "./emulator";
import { rssMb } from "./proc";
import type { CacheReport } from "./report";
import { parseServerTiming, round } from "./stats";

export interface CacheScaleOptions {
  control: Control;
  origin: string;
  pid: number;
  /** The app's inspector port (node --inspect=127.0.0.1:<port>). */
  inspectPort: number;
  users: number;
  /** TOKEN_CACHE_MAX_USERS the app was started with. */
  maxUsers: number;
  /** Downstream APIs configured (the store's cap is maxUsers × this). */
  apis: number;
  /** First synthetic user number (loaduser<firstUser>…). */
  firstUser: number;
  concurrency?: number;
  checkpointEvery?: number;
  log?: (line: string) => void;
}

interface Answer {
  status: number;
  obo: string;
}

function get(agent: http.Agent, url: string, token: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on("end", () => {
        const timing = parseServerTiming(String(res.headers["server-timing"] ?? ""));
        resolve({ status: res.statusCode ?? 0, obo: timing.get("obo")?.desc.join(",") ?? "none" });
      });
    });
    req.on("error", reject);
  });
}

/** Forces a full GC in the app and returns its live heap (MB); null when the probe fails. */
export function heapAfterGc(inspectPort: number): number | null {
  try {
    const out = execFileSync(process.execPath, ["--experimental-websocket", "--no-warnings", "--import", "tsx", path.join(__dirname, "heap-probe.ts"), String(inspectPort)], {
      encoding: "utf8",
      timeout: 60_000,
    });
    return (JSON.parse(out) as { usedMb: number }).usedMb;
  } catch {
    return null;
  }
}

export async function runCacheScale(o: CacheScaleOptions): Promise<CacheReport> {
  const log = o.log ?? (() => undefined);
  const concurrency = o.concurrency ?? 16;
  const step = o.checkpointEvery ?? Math.max(500, Math.round(o.users / 8));
  const url = `${o.origin}/api/me`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const partitionCap = o.maxUsers * o.apis;
  const oboBefore = await o.control.oboCount();
  const startHeap = heapAfterGc(o.inspectPort);
  const rssStartMb = rssMb(o.pid);
  const checkpoints: CacheReport["checkpoints"] = [{ users: 0, rssMb: rssStartMb, liveHeapAfterGcMb: startHeap, elapsedSeconds: 0 }];
  const tokensByUser = new Map<number, string>();
  let nonOk = 0;
  const started = Date.now();
  try {
    for (let done = 0; done < o.users; done += step) {
      const count = Math.min(step, o.users - done);
      const first = o.firstUser + done;
      const tokens = await o.control.apiTokens(first, count);
      // keep the tokens the probes need: the first few and the most recent ones
      tokens.forEach((t, i) => {
        const n = done + i + 1;
        if (n <= 50 || n > o.users - 50 || n % 1000 === 0) tokensByUser.set(n, t);
      });
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < tokens.length) {
            const token = tokens[next++] ?? "";
            const a = await get(agent, url, token);
            if (a.status !== 200) nonOk++;
          }
        }),
      );
      const elapsedSeconds = round((Date.now() - started) / 1000, 1);
      const liveHeapAfterGcMb = heapAfterGc(o.inspectPort);
      const cp = { users: done + count, rssMb: rssMb(o.pid), liveHeapAfterGcMb, elapsedSeconds };
      checkpoints.push(cp);
      log(`  cache: ${cp.users} users, RSS ${cp.rssMb} MB (after a forced GC), live heap ${cp.liveHeapAfterGcMb ?? "–"} MB, ${cp.elapsedSeconds} s`);
    }
    const durationSeconds = round((Date.now() - started) / 1000, 1);
    const oboMisses = (await o.control.oboCount()) - oboBefore;

    // Probes: hits first (they refresh recency but add nothing), then the oldest users, who must
    // have been evicted when more than partitionCap newer partitions were stored.
    const probes: CacheReport["probes"] = [];
    const recent = [o.users, o.users - 10, o.users - 49].filter((n) => n > 0 && o.users - n < partitionCap);
    for (const n of recent) {
      const a = await get(agent, url, tokensByUser.get(n) ?? "");
      probes.push({ user: n, expected: "hit", obo: a.status === 200 ? a.obo : `status ${a.status}` });
    }
    if (o.users > partitionCap) {
      for (const n of [1, 2, 50]) {
        const a = await get(agent, url, tokensByUser.get(n) ?? "");
        probes.push({ user: n, expected: "miss", obo: a.status === 200 ? a.obo : `status ${a.status}` });
      }
    }
    const probesOk = probes.every((p) => p.obo === p.expected);

    // The live heap must stop growing once the cache is full: compare the first checkpoint at or
    // beyond the cap with the last one.
    const atCap = checkpoints.find((c) => c.users >= partitionCap && c.liveHeapAfterGcMb !== null);
    const last = checkpoints[checkpoints.length - 1];
    const liveHeapGrowthAfterCapMb = atCap && last?.liveHeapAfterGcMb != null && atCap.liveHeapAfterGcMb !== null ? round(last.liveHeapAfterGcMb - atCap.liveHeapAfterGcMb, 1) : null;
    // Bounded: after the cap, the live heap may wander by GC timing but must not keep growing at
    // the rate it grew while the cache filled.
    const fillRate = atCap && atCap.liveHeapAfterGcMb !== null && checkpoints[0]?.liveHeapAfterGcMb != null ? (atCap.liveHeapAfterGcMb - checkpoints[0].liveHeapAfterGcMb) / atCap.users : null;
    const afterRate = liveHeapGrowthAfterCapMb !== null && atCap && last ? liveHeapGrowthAfterCapMb / Math.max(1, last.users - atCap.users) : null;
    const heapBounded = fillRate === null || afterRate === null ? null : afterRate <= Math.max(0.25 * fillRate, 0.001);
    // A probe that failed is no evidence: without every live-heap reading, "bounded" is not shown.
    const heapProbeFailures = checkpoints.filter((c) => c.liveHeapAfterGcMb === null).length;

    const rssEndMb = rssMb(o.pid);
    return {
      users: o.users,
      rssGrowthMb: round(rssEndMb - rssStartMb, 1),
      capHeld: heapProbeFailures === 0 && probesOk && nonOk === 0 && (o.users <= partitionCap || heapBounded === true),
      heapProbeFailures,
      tokenCacheMaxUsers: o.maxUsers,
      partitionCap,
      route: "/api/me",
      durationSeconds,
      oboMisses,
      rssStartMb,
      rssEndMb,
      checkpoints,
      probes,
      liveHeapGrowthAfterCapMb,
      nonOk,
    };
  } finally {
    agent.destroy();
  }
}
