/**
 * Where a CPU profile's time went: self time per function and per code origin (Next.js, React,
 * msal-node, jose, this app, Node's own internals, GC), as shares of all samples. Enough to decide
 * what to change; open the .cpuprofile in DevTools for the call trees.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by origin, ms and share (%), largest first. */
  byOrigin: { origin: string; ms: number; pct: number }[];
  /** The functions with the most self time. */
  topFunctions: { fn: string; origin: string; ms: number; pct: number }[];
}

/** Which body of code a frame belongs to, from its script URL. */
export function originOf(url: string, functionName: string): string {
  if (functionName === "(garbage collector)") return "GC";
  if (functionName === "(program)" || functionName === "(idle)" || functionName === "(root)") return functionName;
  if (!url) return "native/builtin";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (m) {
    const pkg = m[1] ?? "";
    if (pkg === "next") {
      const rest = m[2] ?? "";
      if (rest.includes("compiled/next-server")) return "next (server runtime)";
      if (rest.includes("compiled/")) return `next (compiled ${rest.split("compiled/")[1]?.split("/")[0]})`;
      return "next";
    }
    return pkg;
  }
  if (url.includes("/.next/server/")) return "app (.next/server bundles)";
  return "other";
}

export function summarize(profile: CpuProfile, top = 25): ProfileSummary {
  const counts = new Map<number, number>();
  for (const s of profile.samples ?? []) counts.set(s, (counts.get(s) ?? 0) + 1);
  const totalSamples = [...counts.values()].reduce((a, b) => a + b, 0) || 1;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerSample = totalMs / totalSamples;
  const byOrigin = new Map<string, number>();
  const byFn = new Map<string, { origin: string; n: number }>();
  for (const node of profile.nodes) {
    const n = counts.get(node.id) ?? node.hitCount ?? 0;
    if (!n) continue;
    const origin = originOf(node.callFrame.url, node.callFrame.functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + n);
    const key = `${node.callFrame.functionName || "(anonymous)"} ${node.callFrame.url.replace(/^.*node_modules\//, "").replace(/^.*\/\.next\//, ".next/")}:${node.callFrame.lineNumber + 1}`;
    const entry = byFn.get(key) ?? { origin, n: 0 };
    entry.n += n;
    byFn.set(key, entry);
  }
  const pct = (n: number) => Math.round((n / totalSamples) * 1000) / 10;
  const ms = (n: number) => Math.round(n * msPerSample);
  return {
    totalMs: Math.round(totalMs),
    byOrigin: [...byOrigin.entries()].sort((a, b) => b[1] - a[1]).map(([origin, n]) => ({ origin, ms: ms(n), pct: pct(n) })),
    topFunctions: [...byFn.entries()]
      .sort((a, b) => b[1].n - a[1].n)
      .slice(0, top)
      .map(([fn, e]) => ({ fn, origin: e.origin, ms: ms(e.n), pct: pct(e.n) })),
  };
}
