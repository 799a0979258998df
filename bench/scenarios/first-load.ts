/**
 * First Load JS: from the build (.next/diagnostics/route-bundle-stats.json, each route's first-load
 * chunks gzipped at level 9, summed) and measured in Chromium (bench/first-load-js.ts: encoded
 * bytes of the app's scripts until network idle, under the build lock).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { say, type BenchContext } from "../lib/context";
import type { Report } from "../lib/report";
import { BUILD_LOCK } from "../lib/snapshot";
import { round } from "../lib/stats";

/** Strings that survive minification in msal-browser/msal-common/msal-react chunks (package names, error codes). */
const MSAL_MARKERS = ["@azure/msal", "msal.js.browser", "interaction_in_progress", "monitor_window_timeout", "endpoints_resolution_error"];

export function firstLoadFromBuild(ctx: BenchContext, report: Report): string[] {
  const statsFile = path.join(ctx.appDir, ".next", "diagnostics", "route-bundle-stats.json");
  if (!existsSync(statsFile)) {
    ctx.notes.push("no .next/diagnostics/route-bundle-stats.json in this build: First Load JS from the build skipped");
    return [];
  }
  const stats = JSON.parse(readFileSync(statsFile, "utf8")) as { route: string; firstLoadChunkPaths: string[] }[];
  // React, Next's client runtime and Turbopack's loader: every page loads these
  const manifestFile = path.join(ctx.appDir, ".next", "standalone", ".next", "build-manifest.json");
  const rootMain = new Set(existsSync(manifestFile) ? ((JSON.parse(readFileSync(manifestFile, "utf8")) as { rootMainFiles?: string[] }).rootMainFiles ?? []).map((f) => `.next/${f}`) : []);
  const gz = new Map<string, { gzip: number; raw: number; msal: boolean }>();
  const chunk = (p: string) => {
    let c = gz.get(p);
    if (!c) {
      const buf = readFileSync(path.join(ctx.appDir, ".next", "standalone", p));
      const text = buf.toString("utf8");
      c = { gzip: gzipSync(buf, { level: 9 }).length, raw: buf.length, msal: MSAL_MARKERS.some((m) => text.includes(m)) };
      gz.set(p, c);
    }
    return c;
  };
  const routes: string[] = [];
  const uncompressed: Record<string, number> = {};
  for (const s of stats.sort((a, b) => a.route.localeCompare(b.route))) {
    if (s.route.startsWith("/_")) continue;
    const files = s.firstLoadChunkPaths.map(chunk);
    report.firstLoadJsKb[s.route] = round(files.reduce((a, c) => a + c.gzip, 0) / 1000, 1);
    uncompressed[s.route] = round(files.reduce((a, c) => a + c.raw, 0) / 1000, 1);
    routes.push(s.route);
  }
  const home = stats.find((s) => s.route === "/");
  report.firstLoadJs = {
    method:
      "firstLoadJsKb: the chunks Next's build lists per route in .next/diagnostics/route-bundle-stats.json (firstLoadChunkPaths), each gzipped at level 9, summed, kB = 1000 bytes (what `next build` used to print as First Load JS). browserTransferKb: the same pages loaded in Chromium with an empty cache, encoded bytes of the app's own script responses until network idle (gzip as the standalone server sends it).",
    browserTransferKb: {},
    uncompressedKb: uncompressed,
    homeMsalKb: home ? round(home.firstLoadChunkPaths.map(chunk).filter((c) => c.msal).reduce((a, c) => a + c.gzip, 0) / 1000, 1) : null,
    homeFrameworkKb: home ? round(home.firstLoadChunkPaths.filter((p) => rootMain.has(p)).map(chunk).reduce((a, c) => a + c.gzip, 0) / 1000, 1) : null,
  };
  return routes;
}

export async function firstLoadInBrowser(ctx: BenchContext, report: Report, origin: string, routes: string[]): Promise<void> {
  if (!routes.length || !report.firstLoadJs) return;
  say(`\n[first load JS] Chromium, ${routes.join(" ")} (holding ${BUILD_LOCK})`);
  const res = spawnSync("flock", ["-w", "1800", BUILD_LOCK, process.execPath, "--import", "tsx", path.join(process.cwd(), "bench", "first-load-js.ts"), origin, ...routes], {
    cwd: process.cwd(),
    encoding: "utf8",
    env: process.env,
    timeout: 600_000,
  });
  if (res.status !== 0) {
    ctx.notes.push(`First Load JS in Chromium failed: ${(res.stderr || "").trim().slice(0, 300)}`);
    return;
  }
  const weights = JSON.parse(res.stdout.trim().split("\n").pop() ?? "{}") as Record<string, { encodedBytes: number }>;
  for (const [route, w] of Object.entries(weights)) report.firstLoadJs.browserTransferKb[route] = round(w.encodedBytes / 1000, 1);
}

