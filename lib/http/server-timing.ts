/**
 * Collects `Server-Timing` metrics for one request (W3C Server Timing):
 *   verify;dur=0.1, obo;desc="hit";dur=0.8, graph;desc="me";dur=35.2
 */
export interface TimingEntry {
  name: string;
  durationMs: number;
  description?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class ServerTiming {
  readonly entries: TimingEntry[] = [];

  add(name: string, durationMs: number, description?: string): void {
    if (!TOKEN.test(name)) throw new TypeError(`invalid Server-Timing metric name: ${name}`);
    this.entries.push({ name, durationMs, description });
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

  toString(): string {
    return this.entries
      .map((e) => {
        const desc = e.description === undefined ? "" : `;desc="${e.description.replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, "_").slice(0, 64)}"`;
        return `${e.name}${desc};dur=${e.durationMs.toFixed(1)}`;
      })
      .join(", ");
  }
}
