/**
 * The fault suite's bookkeeping: every assertion printed as ✓/✗ as it is made, and counted; the
 * suite prints `N passed, N failed` at the end and exits non-zero on a failure.
 */
import { statusCounts, type Answer } from "./traffic";

let passed = 0;
let failed = 0;
const failures: string[] = [];

export function check(ok: boolean, what: string): void {
  if (ok) passed++;
  else {
    failed++;
    failures.push(what);
  }
  console.log(`   ${ok ? "✓" : "✗"} ${what}`);
}

/** Requests sent, status counts per kind of caller, and the unexpected answers (asserted to be none). */
export function summarize(answers: Answer[], unexpected: Answer[]): void {
  console.log(`   requests sent: ${answers.length}`);
  for (const [tag, counts] of Object.entries(statusCounts(answers))) {
    console.log(`   ${tag}: ${Object.entries(counts).map(([k, v]) => `${k} ×${v}`).join(", ")}`);
  }
  console.log(`   unexpected: ${unexpected.length}${unexpected.length ? ` (first: ${JSON.stringify(unexpected[0])})` : ""}`);
  check(unexpected.length === 0, "no unexpected answers");
}

export function results(): { passed: number; failed: number; failures: readonly string[] } {
  return { passed, failed, failures };
}

export const fmt = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** An answer that started at or after `from` and finished at or before `to` (ms since epoch). */
export const inside = (a: Answer, from: number, to: number) => a.startedAt >= from && a.startedAt + a.ms <= to;
/** An answer whose request was in flight at some moment between `from` and `to`. */
export const overlaps = (a: Answer, from: number, to: number) => a.startedAt <= to && a.startedAt + a.ms >= from;
