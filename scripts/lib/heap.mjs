/**
 * The V8 heap-limit rule: how much old-space heap a Node process of this app may use, from the
 * memory of the instance it runs on. V8 sizes its heap from the machine (or container) it sees,
 * not from the App Service plan, and under steady load it lets garbage pile up to that size
 * before collecting: on a small plan an instance is killed or swaps long before V8 bothers.
 * A limit that fits the plan keeps the process small and, with a small live set, costs nothing
 * (measured in docs/performance.md, "Memory under sustained load").
 *
 * One rule, three users: `npm start` (scripts/start.mjs), `npm run bench` (bench/run.ts), and
 * App Service (infra/main.bicep derives NODE_OPTIONS=--max-old-space-size from the plan SKU with
 * the same table and percentage; scripts/lib/heap.test.ts keeps the two in step).
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/**
 * Memory of one instance of each App Service plan SKU infra/main.bicep allows, MB
 * (https://azure.microsoft.com/pricing/details/app-service/linux/: 1.75 GB B1/S1, 3.5 GB B2/S2,
 * 7 GB B3, 4 GB P0v3, 8 GB P1v3, 16 GB P2v3).
 */
export const PLAN_MEMORY_MB = Object.freeze({ B1: 1792, B2: 3584, B3: 7168, S1: 1792, S2: 3584, P0v3: 4096, P1v3: 8192, P2v3: 16384 });

/** The smallest plan the Bicep allows: the bench measures under its limit by default. */
export const SMALLEST_PLAN = "B1";

/** Share of the instance's memory given to V8's old space, percent. */
export const HEAP_PERCENT = 10;
/** Bounds of the derived limit, MB: below MIN the app's own live set (keys, caches) would not fit. */
export const HEAP_MIN_MB = 128;
export const HEAP_MAX_MB = 2048;
/**
 * V8's young generation (each of its semi-spaces), MB. A request's garbage dies young: with V8's
 * 16 MB for a small old space, short-lived objects are promoted early and the old space is
 * collected more often. Measured with `npm run bench:ab` (docs/performance.md): on the smallest
 * plan's limit, 32 MB costs about +30 MB RSS and brings CPU per request back to that of an
 * unlimited heap (16 MB: +15-18 %; 64 MB: no better).
 */
export const SEMI_SPACE_MB = 32;

/** The old-space limit (MB, a multiple of 16) for an instance with `memoryMb` of memory. */
export function heapLimitMb(memoryMb) {
  const derived = Math.floor((memoryMb * HEAP_PERCENT) / 100 / 16) * 16;
  return Math.min(HEAP_MAX_MB, Math.max(HEAP_MIN_MB, derived));
}

/** The container's memory limit (cgroup v2, then v1), MB, or undefined when unlimited or unknown. */
export function cgroupMemoryLimitMb(read = (file) => readFileSync(file, "utf8")) {
  for (const file of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const text = read(file).trim();
      if (!/^\d+$/.test(text)) continue; // "max": no limit
      const mb = Number(text) / 1024 / 1024;
      if (mb > 0 && mb < os.totalmem() / 1024 / 1024) return Math.floor(mb);
    } catch {
      // not this cgroup version
    }
  }
  return undefined;
}

export class HeapConfigError extends Error {
  constructor(variable, message) {
    super(`${variable}: ${message}`);
    this.name = "HeapConfigError";
    this.variable = variable;
  }
}

function positiveMb(env, name, min) {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new HeapConfigError(name, `expected a whole number of MB, at least ${min} (got "${raw}")`);
  return Number(raw);
}

/**
 * The limit for this process's environment:
 * - NODE_HEAP_LIMIT_MB: an explicit limit, or "default" to leave V8's own;
 * - otherwise derived from APP_MEMORY_MB (the instance's memory), else the container's memory
 *   limit, else the machine's memory.
 * Returns { limitMb: null } when V8's default is asked for.
 */
export function heapLimitFromEnvironment(env, probes = {}) {
  if (env.NODE_HEAP_LIMIT_MB?.trim().toLowerCase() === "default") return { limitMb: null, source: "NODE_HEAP_LIMIT_MB=default (V8's own limit)" };
  const explicit = positiveMb(env, "NODE_HEAP_LIMIT_MB", 64);
  if (explicit !== undefined) return { limitMb: explicit, source: "NODE_HEAP_LIMIT_MB" };
  const memory = positiveMb(env, "APP_MEMORY_MB", 256);
  if (memory !== undefined) return { limitMb: heapLimitMb(memory), source: `APP_MEMORY_MB=${memory}` };
  const cgroup = (probes.cgroupMemoryLimitMb ?? cgroupMemoryLimitMb)();
  if (cgroup !== undefined) return { limitMb: heapLimitMb(cgroup), source: `container memory limit ${cgroup} MB` };
  const total = Math.floor((probes.totalMemMb ?? (() => os.totalmem() / 1024 / 1024))());
  return { limitMb: heapLimitMb(total), source: `machine memory ${total} MB` };
}

/** The node flags of the rule for an old-space limit of `limitMb`. */
export function heapFlags(limitMb) {
  return [`--max-old-space-size=${limitMb}`, `--max-semi-space-size=${SEMI_SPACE_MB}`];
}

/** True when the process already has a heap limit (a node flag, or NODE_OPTIONS). */
export function hasHeapFlag(execArgv, nodeOptions = "") {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--max-old-space-size(=|$)/.test(a));
}
