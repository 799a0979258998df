/**
 * Load generation with autocannon: a fixed duration at N connections, the bearer token rotating
 * over many users, every response's Server-Timing header collected, and a serial (one connection)
 * latency probe with sub-millisecond timing. From Server-Timing: what proxy.ts's verification cost
 * (`proxy-verify`, full or memo), the overhead (proxy.ts's and the handler's verification + the
 * token cache), and the server's time with and without the downstream waits (`total`, `self`).
 */
import autocannon from "autocannon";
import http from "node:http";
import { cpuMs } from "./proc";
import { parseServerTiming, percentile, round, Samples } from "./stats";

export interface LoadOptions {
  url: string;
  path: string;
  /** Bearer tokens to rotate over (one per request, round robin); none = no Authorization header. */
  tokens?: string[];
  connections: number;
  durationSeconds: number;
  /** Processes whose CPU time per request to report: name → pid. */
  cpuOf?: Record<string, number | undefined>;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** proxy-verify + verify + obo from Server-Timing, per response that carried them. */
  overheadP50Ms: number | null;
  overheadP99Ms: number | null;
  verifyP50Ms: number | null;
  oboP50Ms: number | null;
  /** proxy.ts's verification by outcome (tokens seen before: memo; first time: full). */
  proxyVerify: { memoP50Ms: number | null; memoP99Ms: number | null; memoCount: number; fullCount: number };
  /** The server's time since proxy.ts started (total), and that minus the downstream waits (self). */
  server: { totalP50Ms: number | null; totalP99Ms: number | null; selfP50Ms: number | null; selfP99Ms: number | null };
  /** How the token cache answered (obo desc: hit/miss/...) over the run. */
  oboOutcomes: Record<string, number>;
  /** CPU ms per completed request of each process in `cpuOf` (server, emulator, load generator). */
  cpuMsPerRequest: Record<string, number>;
}

const nullable = (s: Samples, p: number) => (s.length ? round(s.percentile(p), 2) : null);

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const tokens = options.tokens ?? [];
  let next = 0;
  const overhead = new Samples();
  const verify = new Samples();
  const obo = new Samples();
  const proxyMemo = new Samples();
  let proxyFull = 0;
  const total = new Samples();
  const self = new Samples();
  const oboOutcomes: Record<string, number> = {};
  const cpuOf: Record<string, number> = { loadGenerator: process.pid };
  for (const [name, pid] of Object.entries(options.cpuOf ?? {})) if (pid !== undefined) cpuOf[name] = pid;
  const cpuBefore = Object.fromEntries(Object.entries(cpuOf).map(([name, pid]) => [name, cpuMs(pid)]));
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: 30,
    requests: [
      {
        method: "GET",
        path: options.path,
        setupRequest: (req) => {
          if (!tokens.length) return req;
          const token = tokens[next++ % tokens.length] ?? "";
          return { ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } };
        },
        onResponse: (_status, _body, _ctx, headers) => {
          const raw = headers["server-timing"] ?? headers["Server-Timing"];
          if (!raw) return;
          const metrics = parseServerTiming(raw);
          const p = metrics.get("proxy-verify");
          const v = metrics.get("verify");
          const o = metrics.get("obo");
          if (p?.desc.includes("memo")) proxyMemo.push(p.dur);
          else if (p) proxyFull++;
          if (v) verify.push(v.dur);
          if (o) {
            obo.push(o.dur);
            for (const d of o.desc) oboOutcomes[d] = (oboOutcomes[d] ?? 0) + 1;
          }
          if (p || v || o) overhead.push((p?.dur ?? 0) + (v?.dur ?? 0) + (o?.dur ?? 0));
          const t = metrics.get("total");
          const sf = metrics.get("self");
          if (t) total.push(t.dur);
          if (sf) self.push(sf.dur);
        },
      },
    ],
  });
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = s.count;
  const completed = Object.values(statusCodes).reduce((a, b) => a + b, 0);
  const cpuMsPerRequest = Object.fromEntries(Object.entries(cpuOf).map(([name, pid]) => [name, round((cpuMs(pid) - (cpuBefore[name] ?? 0)) / Math.max(1, completed), 2)]));
  return {
    rps: round(completed / result.duration, 0),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    requests: completed,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    overheadP50Ms: nullable(overhead, 50),
    overheadP99Ms: nullable(overhead, 99),
    verifyP50Ms: nullable(verify, 50),
    oboP50Ms: nullable(obo, 50),
    proxyVerify: { memoP50Ms: nullable(proxyMemo, 50), memoP99Ms: nullable(proxyMemo, 99), memoCount: proxyMemo.length, fullCount: proxyFull },
    server: { totalP50Ms: nullable(total, 50), totalP99Ms: nullable(total, 99), selfP50Ms: nullable(self, 50), selfP99Ms: nullable(self, 99) },
    oboOutcomes,
    cpuMsPerRequest,
  };
}

export interface SerialResult {
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Server-Timing `self` (server time minus downstream waits) without queueing; null for a server that sends none. */
  selfP50Ms: number | null;
}

/**
 * One connection, one request at a time, for `durationSeconds`: latency without queueing, timed
 * with hrtime. The difference between the app's and the baseline's p50 here is the whole
 * per-request cost of the app (Next routing, proxy.ts, verify, OBO cache, JSON), not only the
 * part Server-Timing can see.
 */
export async function runSerial(options: Omit<LoadOptions, "connections">): Promise<SerialResult> {
  const url = new URL(options.path, options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const tokens = options.tokens ?? [];
  const latencies = new Samples();
  const self = new Samples();
  let non2xx = 0;
  let i = 0;
  const end = Date.now() + options.durationSeconds * 1000;
  try {
    while (Date.now() < end) {
      const token = tokens[i++ % Math.max(1, tokens.length)];
      const start = process.hrtime.bigint();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
          const sf = parseServerTiming(res.headers["server-timing"] ? String(res.headers["server-timing"]) : undefined).get("self");
          if (sf) self.push(sf.dur);
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
      });
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (status < 200 || status > 299) non2xx++;
    }
  } finally {
    agent.destroy();
  }
  const v = latencies.values();
  return { requests: v.length, p50Ms: round(percentile(v, 50), 2), p90Ms: round(percentile(v, 90), 2), p99Ms: round(percentile(v, 99), 2), non2xx, selfP50Ms: nullable(self, 50) };
}
