/** The tables `npm run bench` prints at the end (the same figures as bench/report.json). */
import { table, type Report } from "./report";

const say = (line: string) => process.stdout.write(line + "\n");

export function printTables(report: Report): void {
  const rows: (string | number | null)[][] = [
    ["scenario", "req/s", "p50 ms", "p90 ms", "p99 ms", "non-2xx", "overhead p50", "overhead p99", "proxy verify first/memo p50", "self p50 (serial)", "IdP tokens", "expected", "vs baseline", "serial p50", "CPU ms/req", "RSS MB"],
  ];
  const verify = (s: NonNullable<Report["scenarios"]["me"]>) => `${s.proxyVerifyMs.firstSeenP50 ?? "–"} / ${s.proxyVerifyMs.memoP50 ?? "–"}`;
  const self = (s: NonNullable<Report["scenarios"]["me"]>) => `${s.serverMs.selfP50Ms ?? "–"} (${s.serverMs.serialSelfP50Ms ?? "–"})`;
  const floor = report.scenarios.floor;
  if (floor) rows.push(["/api/whoami (floor)", floor.rps, floor.p50Ms, floor.p90Ms, floor.p99Ms, floor.non2xx, floor.overheadP50Ms, floor.overheadP99Ms, verify(floor), self(floor), floor.idpTokenRequests, floor.expectedTokenRequests, null, floor.serial.p50Ms, floor.cpuMsPerRequest.app ?? null, `${floor.rssBeforeMb}→${floor.rssAfterMb}`]);
  for (const key of ["me", "subscriptions"] as const) {
    const s = report.scenarios[key];
    const b = report.scenarios.baseline[key];
    if (s) rows.push([`/api/${key}`, s.rps, s.p50Ms, s.p90Ms, s.p99Ms, s.non2xx, s.overheadP50Ms, s.overheadP99Ms, verify(s), self(s), s.idpTokenRequests, s.expectedTokenRequests, s.throughputVsBaseline, s.serial.p50Ms, s.cpuMsPerRequest.app ?? null, `${s.rssBeforeMb}→${s.rssAfterMb}`]);
    if (b) rows.push([`baseline /${key}`, b.rps, b.p50Ms, b.p90Ms, b.p99Ms, b.non2xx, null, null, null, null, null, null, 1, b.serial.p50Ms, b.cpuMsPerRequest.app ?? null, null]);
  }
  const lb = report.scenarios.latencyBound;
  if (lb) {
    rows.push([`/api/me, Graph +${lb.downstreamDelayMs} ms, ${lb.connections} conn.`, lb.ours.rps, lb.ours.p50Ms, null, lb.ours.p99Ms, lb.ours.non2xx, null, null, null, null, null, null, lb.throughputVsBaseline, null, null, null]);
    rows.push([`baseline /me, Graph +${lb.downstreamDelayMs} ms, ${lb.connections} conn.`, lb.baseline.rps, lb.baseline.p50Ms, null, lb.baseline.p99Ms, lb.baseline.non2xx, null, null, null, null, null, null, 1, null, null, null]);
  }
  if (rows.length > 1) say("\n" + table(rows));
  if (report.cache) {
    const c = report.cache;
    say(
      "\n" +
        table([
          ["cache scale", "users", "cap (partitions)", "OBO misses", "RSS start", "RSS end", "RSS growth", "live heap growth after cap", "heap probes failed", "capHeld", "seconds"],
          ["/api/me", c.users, c.partitionCap, c.oboMisses, c.rssStartMb, c.rssEndMb, c.rssGrowthMb, c.liveHeapGrowthAfterCapMb, c.heapProbeFailures, String(c.capHeld), c.durationSeconds],
        ]),
    );
  }
  if (report.soak) {
    const runs = [report.soak, ...(report.soak.unlimited ? [report.soak.unlimited] : [])];
    say(
      "\n" +
        table([
          ["soak", "heap limit MB", "seconds", "req/s", "non-2xx", "RSS start", "peak RSS (per s)", "RSS MB/min (last half)", "± MB/min", "peak heap used", "CPU ms/req", "renewals", "OBO misses", "evictions"],
          ...runs.map((r) => [r === report.soak ? `plan ${report.soak?.plan}` : "no limit", r.heapLimitMb, r.durationS, r.rps, r.non2xx, r.rssStartMb, r.peakRssMb, r.rssSlopeMbPerMinLastHalf, r.rssSlopeStdErrMbPerMin, r.peakHeapUsedMb, r.cpuMsPerRequest, r.tokenRenewals, r.oboMisses, r.cacheEvictions]),
        ]),
    );
  }
  if (report.coldStart) say(`\ncold start: npm start median ${report.coldStartMs} ms (${report.coldStart.runsMs.join(", ")}); node server.js median ${report.coldStart.nodeServerMedianMs} ms`);
  const routes = Object.keys(report.firstLoadJsKb);
  if (routes.length) {
    say(
      "\n" +
        table([
          ["First Load JS", ...routes],
          ["build, gzip kB", ...routes.map((r) => report.firstLoadJsKb[r] ?? null)],
          ["Chromium transfer kB", ...routes.map((r) => report.firstLoadJs?.browserTransferKb[r] ?? null)],
          ["uncompressed kB", ...routes.map((r) => report.firstLoadJs?.uncompressedKb[r] ?? null)],
        ]),
    );
  }
  say("\n" + table([["target", "goal", "actual", "met"], ...report.targets.map((t) => [t.name, t.target, t.actual, t.met === null ? "(stated)" : t.met ? "yes" : "NO"])]));
  for (const n of report.run.notes) say(`note: ${n}`);
}
