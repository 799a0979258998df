/** Small statistics helpers: percentiles over raw samples, rounding for the report. */

/** The p-th percentile (0–100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return sorted[rank] ?? NaN;
}

export function median(values: ArrayLike<number>): number {
  return percentile(values, 50);
}

export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** A growable list of numbers without boxing. */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  percentile(p: number): number {
    return percentile(this.values(), p);
  }
}

/** Server-Timing metrics of one response: name → summed duration (ms) and descriptions seen. */
export interface TimingMetric {
  dur: number;
  desc: string[];
}

const METRIC = /([!#$%&'*+\-.^_`|~0-9A-Za-z]+)((?:;[^,;=]+=(?:"[^"]*"|[^,;]*))*)/g;

export function parseServerTiming(header: string | undefined): Map<string, TimingMetric> {
  const out = new Map<string, TimingMetric>();
  if (!header) return out;
  for (const m of header.matchAll(METRIC)) {
    const name = m[1] ?? "";
    const params = m[2] ?? "";
    const dur = Number(/;\s*dur=([\d.]+)/.exec(params)?.[1] ?? 0);
    const desc = /;\s*desc="?([^";]*)"?/.exec(params)?.[1];
    const entry = out.get(name) ?? { dur: 0, desc: [] };
    entry.dur += dur;
    if (desc !== undefined) entry.desc.push(desc);
    out.set(name, entry);
  }
  return out;
}
