/**
 * Collects `Server-Timing` metrics for one request (W3C Server Timing):
 *   proxy-verify;desc="full";dur=0.41, verify;desc="memo";dur=0.01, obo;desc="hit";dur=0.02,
 *   graph;desc="me";dur=35.20, total;dur=36.10, self;dur=0.90
 *
 * `total` is the server's time from the moment proxy.ts started on the request (or the handler,
 * when no proxy ran) until the response was built; `self` is `total` minus the time spent waiting
 * on downstream APIs (the union of their calls, which may overlap): what the app itself costs a
 * caller. Durations carry two decimals (a memoized verification takes ~0.01 ms).
 */
export interface TimingEntry {
  name: string;
  durationMs: number;
  description?: string;
}

/** A downstream call's interval on the performance.now() clock, for `self`. */
interface Interval {
  start: number;
  end: number;
}

export interface ServerTimingOptions {
  /** When the request started on the performance.now() clock (proxy.ts's start when it ran). */
  startedAt?: number;
  /** Test seam: the clock. */
  now?: () => number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class ServerTiming {
  readonly entries: TimingEntry[] = [];
  readonly startedAt: number;
  private readonly now: () => number;
  private readonly downstream: Interval[] = [];

  constructor(options: ServerTimingOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = options.startedAt ?? this.now();
  }

  add(name: string, durationMs: number, description?: string): void {
    if (!TOKEN.test(name)) throw new TypeError(`invalid Server-Timing metric name: ${name}`);
    this.entries.push({ name, durationMs, description });
  }

  /** A downstream API call that just ended after `durationMs`: a metric, and time `self` leaves out. */
  addDownstream(name: string, durationMs: number, description?: string): void {
    this.add(name, durationMs, description);
    const end = this.now();
    this.downstream.push({ start: end - durationMs, end });
  }

  /** Times an async step and records it even when it throws. */
  async measure<T>(name: string, fn: () => Promise<T>, description?: string | ((result: T) => string)): Promise<T> {
    const start = performance.now();
    let ok = false;
    let result: T | undefined;
    try {
      result = await fn();
      ok = true;
      return result;
    } finally {
      const desc = ok && typeof description === "function" ? description(result as T) : typeof description === "string" ? description : ok ? undefined : "error";
      this.add(name, performance.now() - start, desc);
    }
  }

  /** Adds `total` and `self` (see above), once the response is built. */
  addTotals(): void {
    const total = Math.max(0, this.now() - this.startedAt);
    this.add("total", total);
    this.add("self", Math.max(0, total - unionMs(this.downstream)));
  }

  toString(): string {
    return this.entries
      .map((e) => {
        const desc = e.description === undefined ? "" : `;desc="${e.description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "_").slice(0, 64)}"`;
        return `${e.name}${desc};dur=${e.durationMs.toFixed(2)}`;
      })
      .join(", ");
  }
}

/** Total length of a set of intervals, overlaps counted once (parallel calls wait together). */
export function unionMs(intervals: readonly Interval[]): number {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  let total = 0;
  let start = -Infinity;
  let end = -Infinity;
  for (const i of sorted) {
    if (i.start > end) {
      if (end > start) total += end - start;
      start = i.start;
      end = i.end;
    } else if (i.end > end) end = i.end;
  }
  if (end > start) total += end - start;
  return total;
}
