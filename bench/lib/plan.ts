import { PLAN_MEMORY_MB, SMALLEST_PLAN, heapFlags, heapLimitMb } from "../../scripts/lib/heap.mjs";

/**
 * `--plan=<SKU>|none` of the bench commands: the app runs under the heap-limit rule for that App
 * Service plan's memory (scripts/lib/heap.mjs), by default the smallest plan's; `none` leaves
 * V8's own limit.
 */
export function planHeapLimit(flag: string | undefined): { plan: string; memoryMb: number | null; heapLimitMb: number | null } {
  const plan = flag ?? SMALLEST_PLAN;
  if (plan === "none") return { plan, memoryMb: null, heapLimitMb: null };
  if (!(plan in PLAN_MEMORY_MB)) throw new Error(`--plan must be one of ${Object.keys(PLAN_MEMORY_MB).join(", ")} or none`);
  const memoryMb = PLAN_MEMORY_MB[plan as keyof typeof PLAN_MEMORY_MB];
  return { plan, memoryMb, heapLimitMb: heapLimitMb(memoryMb) };
}

/** The node flags of the heap-limit rule (none for V8's own). */
export function heapArgs(limitMb: number | null): string[] {
  return limitMb === null ? [] : heapFlags(limitMb);
}
