import type { Reporter, TestCase, TestResult } from "@playwright/test/reporter";

/**
 * Prints, after the run, every test that was skipped and why: what this run did not prove is part
 * of its result (the list reporter shows skipped titles only, the reasons live in annotations).
 */
export default class SkippedReporter implements Reporter {
  private readonly skipped: { title: string; reason: string }[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== "skipped") return;
    const reason = [...result.annotations, ...test.annotations].find((a) => a.type === "skip")?.description ?? "no reason given";
    this.skipped.push({ title: test.title, reason });
  }

  onEnd(): void {
    if (this.skipped.length === 0) return;
    console.log(`\nNot proven by this run (${this.skipped.length}):`);
    for (const { title, reason } of this.skipped) console.log(`  - ${title}\n      ${reason}`);
  }

  printsToStdio(): boolean {
    return false;
  }
}
