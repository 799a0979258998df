/**
 * Soak: steady load for minutes on the running app (many users' tokens rotating over several
 * routes), reading the app's RSS (/proc) every second and sampling it with the V8 heap (inspector,
 * no forced GC) every few seconds, to show whether memory stays flat under sustained load: the peak
 * of the per-second readings, and the RSS trend over the second half of the run (after warm-up and
 * the heap's first growth), in MB per minute. A `tick` runs every second beside the load (the
 * scenario renews its users' tokens there, as clients do).
 *
 * The trend is fitted to an RSS reading every second, not to the 10-second samples: RSS swings
 * ±8 MB with each old-space collection, and 31 samples over five minutes leave the slope's
 * standard error near 0.5 MB/min, half the 1 MB/min it is compared with. The report says how
 * precise the slope is (`rssSlopeStdErrMbPerMin`); readings a second apart are correlated within a
 * collection cycle, so take that error as a lower bound and the mean RSS per half as the check.
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
  /** Called every second while the load runs (never twice at once); may replace entries of `tokens`. */
  tick?: (elapsedSeconds: number) => Promise<void>;
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
  /** The highest of the per-second RSS readings (and of the samples). */
  peakRssMb: number;
  rssSlopeMbPerMinLastHalf: number;
  // ---- detail
  /** Standard error of that slope (least squares over the per-second RSS readings), MB/min. */
  rssSlopeStdErrMbPerMin: number;
  /** Mean RSS over each half of the run, MB: the plainest answer to "did it grow?". */
  rssMeanMbFirstHalf: number;
  rssMeanMbLastHalf: number;
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

/** Least-squares slope of y over x, and its standard error. */
export function slope(points: { x: number; y: number }[]): { slope: number; stdErr: number } {
  const n = points.length;
  if (n < 2) return { slope: 0, stdErr: 0 };
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  if (sxx === 0) return { slope: 0, stdErr: 0 };
  const b = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / sxx;
  if (n < 3) return { slope: b, stdErr: 0 };
  const residuals = points.reduce((a, p) => a + (p.y - my - b * (p.x - mx)) ** 2, 0);
  return { slope: b, stdErr: Math.sqrt(residuals / (n - 2) / sxx) };
}

export interface RssReading {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
}

/** RSS trend over the second half of the run, MB per minute, with its standard error. */
export function rssTrendLastHalf(readings: RssReading[], durationSeconds: number): { slope: number; stdErr: number } {
  const fit = slope(readings.filter((r) => r.t >= durationSeconds / 2).map((r) => ({ x: r.t / 60, y: r.rssMb })));
  return { slope: round(fit.slope, 2), stdErr: round(fit.stdErr, 2) };
}

/** The peak RSS: the highest per-second reading (a 10-s sample can miss a collection's top). */
export function peakRss(readings: readonly RssReading[], samples: readonly Pick<SoakSample, "rssMb">[]): number {
  let peak = 0;
  for (const r of readings) peak = Math.max(peak, r.rssMb);
  for (const s of samples) peak = Math.max(peak, s.rssMb);
  return peak;
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
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
  const readings: RssReading[] = [];
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
  const read = () => readings.push({ t: (Date.now() - started) / 1000, rssMb: rssMb(o.pid) });
  let ticking: Promise<void> | undefined;
  let tickError: unknown;
  const tick = () => {
    if (!o.tick || ticking) return;
    ticking = o
      .tick((Date.now() - started) / 1000)
      .catch((e: unknown) => {
        tickError ??= e;
      })
      .finally(() => {
        ticking = undefined;
      });
  };
  take();
  read();
  const timer = setInterval(take, o.sampleEverySeconds * 1000);
  const reader = setInterval(() => {
    read();
    tick();
  }, 1000);
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
    clearInterval(reader);
    await ticking;
    if (tickError) throw tickError;
    take();
    read();
    const trend = rssTrendLastHalf(readings, o.durationSeconds);
    const half = o.durationSeconds / 2;
    const statusCodes: Record<string, number> = {};
    for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count;
    const requests = Object.values(statusCodes).reduce((a, b) => a + b, 0);
    const heapUsed = samples.map((s) => s.heapUsedMb).filter((v): v is number => v !== null);
    return {
      durationS: o.durationSeconds,
      rps: round(requests / result.duration, 0),
      non2xx: result.non2xx,
      peakRssMb: peakRss(readings, samples),
      rssSlopeMbPerMinLastHalf: trend.slope,
      rssSlopeStdErrMbPerMin: trend.stdErr,
      rssMeanMbFirstHalf: round(mean(readings.filter((r) => r.t < half).map((r) => r.rssMb)), 1),
      rssMeanMbLastHalf: round(mean(readings.filter((r) => r.t >= half).map((r) => r.rssMb)), 1),
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
    clearInterval(reader);
    stopSampler();
  }
}
