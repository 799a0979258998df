/**
 * Latency-bound (informative): /api/me when Graph takes LATENCY_MS per call (closer to the real
 * service) at modest concurrency, for the app and the bare baseline. Throughput is then bound by
 * latency, not by the server's CPU: 10 connections × 50 ms make both ~1.0× by construction, so the
 * ratio is stated, never a target. Injected with the emulator's "slow" fault on Graph, cleared after.
 */
import { say, type BenchContext } from "../lib/context";
import { runLoad, type LoadResult } from "../lib/load";
import type { Managed } from "../lib/proc";

export const LATENCY_MS = 50;
export const LATENCY_CONNECTIONS = 10;

export async function latencyBound(ctx: BenchContext, server: Managed, pathName: string, tokens?: string[]): Promise<LoadResult> {
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
