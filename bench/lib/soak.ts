/**
 * Soak: steady load for minutes on the running app (many users' tokens rotating over several
 * routes), sampling the app's RSS (/proc) and V8 heap (inspector, no forced GC) every few seconds,
 * to show whether memory stays flat under sustained load: the peak, and the RSS trend over the
 * second half of the run (after warm-up and the heap's first growth), in MB per minute.
 */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { cpuMs, rssMb } from "./proc";
import { round } from "./stats";

export interface SoakOptions {
  origin: string;
  pid: number;
  /** The app's inspector port (node --inspect=127.0.0.1:<port>), for heap samples. */
  inspectPort: number;
  paths: string[];
  tokens: string[];
  connections: number;
  durationSeconds: number;
  sampleEverySeconds: number;
  log?: (line: string) => void;
}

export interface SoakSample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  heapUsedMb: number | null;
  heapTotalMb: number | null;
}

export interface SoakResult {
  durationS: number;
  rps: number;
  non2xx: number;
  peakRssMb: number;
  rssSlopeMbPerMinLastHalf: number;
  // ---- detail
  requests: number;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  statusCodes: Record<string, number>;
  rssStartMb: number;
  peakHeapUsedMb: number | null;
  cpuMsPerRequest: number;
  samples: SoakSample[];
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  if (sxx === 0) return 0;
  return points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
}

/** RSS trend over the second half of the samples, MB per minute. */
export function rssSlopeLastHalf(samples: SoakSample[], durationSeconds: number): number {
  const half = samples.filter((s) => s.t >= durationSeconds / 2);
  return round(slope(half.map((s) => ({ x: s.t / 60, y: s.rssMb }))), 2);
}

function startHeapSampler(inspectPort: number, intervalMs: number, onSample: (usedMb: number, totalMb: number) => void) {
  const child = spawn(process.execPath, ["--experimental-websocket", "--no-warnings", "--import", "tsx", path.join(__dirname, "heap-sampler.ts"), String(inspectPort), String(intervalMs)], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  createInterface({ input: child.stdout }).on("line", (line) => {
    try {
      const s = JSON.parse(line) as { usedMb: number; totalMb: number };
      onSample(s.usedMb, s.totalMb);
    } catch {
      // not a sample
    }
  });
  return () => child.kill();
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => undefined);
  const samples: SoakSample[] = [];
  let heap: { usedMb: number; totalMb: number } | null = null;
  const stopSampler = startHeapSampler(o.inspectPort, Math.max(1000, (o.sampleEverySeconds * 1000) / 2), (usedMb, totalMb) => {
    heap = { usedMb, totalMb };
  });
  const rssStartMb = rssMb(o.pid);
  const cpuBefore = cpuMs(o.pid);
  const started = Date.now();
  const take = () => {
    const t = round((Date.now() - started) / 1000, 1);
    const s: SoakSample = { t, rssMb: rssMb(o.pid), heapUsedMb: heap?.usedMb ?? null, heapTotalMb: heap?.totalMb ?? null };
    samples.push(s);
    log(`  t=${s.t}s RSS ${s.rssMb} MB, heap ${s.heapUsedMb ?? "?"} / ${s.heapTotalMb ?? "?"} MB`);
  };
  take();
  const timer = setInterval(take, o.sampleEverySeconds * 1000);
  let next = 0;
  try {
    const result = await autocannon({
      url: o.origin,
      connections: o.connections,
      duration: o.durationSeconds,
      timeout: 30,
      requests: o.paths.map((p) => ({
        method: "GET" as const,
        path: p,
        setupRequest: (req: autocannon.RequestParams) => ({ ...req, headers: { ...req.headers, authorization: `Bearer ${o.tokens[next++ % o.tokens.length] ?? ""}` } }),
      })),
    });
    clearInterval(timer);
    take();
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count;
    const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
    const heapUsed = samples.map((s) => s.heapUsedMb).filter((v): v is number => v !== null);
    return {
      durationS: o.durationSeconds,
      rps: round(requests / result.duration, 0),
      non2xx: result.non2xx,
      peakRssMb: Math.max(...samples.map((s) => s.rssMb)),
      rssSlopeMbPerMinLastHalf: rssSlopeLastHalf(samples, o.durationSeconds),
      requests,
      errors: result.errors,
      timeouts: result.timeouts,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      statusCodes,
      rssStartMb,
      peakHeapUsedMb: heapUsed.length ? Math.max(...heapUsed) : null,
      cpuMsPerRequest: round((cpuMs(o.pid) - cpuBefore) / Math.max(1, requests), 2),
      samples,
    };
  } finally {
    clearInterval(timer);
    stopSampler();
  }
}
