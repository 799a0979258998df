/**
 * `npm run bench` options (all optional; docs/performance.md lists them):
 *   --build=auto|always|never  build the standalone app first (auto: when a source is newer)
 *   --duration=15 --warmup=5 --serial=5 --connections=50 --users=200
 *   --cache-users=12000 --cache-max-users=3000 --cold-starts=5
 *   --plan=B1          run the app under the heap-limit rule for this App Service plan's memory
 *                      (scripts/lib/heap.mjs; default the smallest plan), or --plan=none for V8's own
 *   --soak=600 (or --soak-duration=600) --soak-connections=50 --soak-users=200 --soak-sample=10
 *                      --soak=1800 is the run whose figures docs/performance.md publishes
 *   --soak-compare     soak twice: under the plan's heap limit and without one
 *   --node-flags="--max-semi-space-size=16"   extra node flags for the app (tuning experiments)
 *   --only=load,cache,soak,coldstart,firstload   run some phases only
 *   --quick            short smoke run (5 s loads, 2000 cache users, 60 s soak)
 */
import { planHeapLimit } from "./plan";

export const PHASES = ["load", "cache", "soak", "coldstart", "firstload"] as const;
export type Phase = (typeof PHASES)[number];

export function parseArgs(argv: string[]) {
  const flags = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m?.[1]) throw new Error(`unknown argument ${a}`);
    flags.set(m[1], m[2] ?? "true");
  }
  const quick = flags.get("quick") === "true";
  const num = (name: string, dflt: number, quickValue = dflt) => {
    const v = flags.get(name);
    if (v === undefined) return quick ? quickValue : dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number`);
    return n;
  };
  const build = flags.get("build") ?? "auto";
  if (!["auto", "always", "never"].includes(build)) throw new Error("--build must be auto, always or never");
  const phases = new Set((flags.get("only") ?? PHASES.join(",")).split(","));
  for (const p of phases) if (!(PHASES as readonly string[]).includes(p)) throw new Error(`--only: unknown phase ${p} (phases: ${PHASES.join(", ")})`);
  if (flags.has("soak") && flags.has("soak-duration")) throw new Error("--soak and --soak-duration are the same option: give one");
  const { plan, memoryMb, heapLimitMb } = planHeapLimit(flags.get("plan"));
  return {
    build: build as "auto" | "always" | "never",
    durationSeconds: num("duration", 15, 5),
    warmupSeconds: num("warmup", 5, 2),
    serialSeconds: num("serial", 5, 2),
    connections: num("connections", 50),
    users: num("users", 200),
    cacheUsers: num("cache-users", 12_000, 2_000),
    // 3 000 users fit the smallest plan's heap with the web app configured (lib/config/memory.ts);
    // the run pushes 4× as many through
    cacheMaxUsers: num("cache-max-users", 3_000, 500),
    coldStarts: num("cold-starts", 5, 2),
    plan,
    memoryMb,
    heapLimitMb,
    soakSeconds: flags.has("soak") ? num("soak", 600) : num("soak-duration", 600, 60),
    soakConnections: num("soak-connections", 50),
    soakUsers: num("soak-users", 200),
    soakSampleSeconds: num("soak-sample", 10, 5),
    soakCompare: flags.get("soak-compare") === "true",
    /** Extra node flags for the app (e.g. --node-flags=--max-semi-space-size=16), for tuning experiments. */
    nodeFlags: (flags.get("node-flags") ?? "").split(/\s+/).filter(Boolean),
    phases: phases as Set<Phase | string>,
    quick,
  };
}

export type Options = ReturnType<typeof parseArgs>;
