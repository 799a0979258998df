/** One `Server-Timing` metric as the API reports it, e.g. `obo;desc="hit";dur=0.2`. */
export interface TimingMetric {
  name: string;
  description?: string;
  durationMs?: number;
}

/**
 * Parses a Server-Timing header (W3C Server Timing). Descriptions may be quoted strings
 * containing `,` or `;`, so this tokenizes instead of splitting.
 */
export function parseServerTiming(header: string | null): TimingMetric[] {
  if (!header) return [];
  const metrics: TimingMetric[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < header.length && /\s/.test(header[i]!)) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < header.length && !/[\s;,=]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const readValue = () => {
    if (header[i] !== '"') return readToken();
    let out = "";
    i++;
    while (i < header.length && header[i] !== '"') {
      if (header[i] === "\\" && i + 1 < header.length) i++;
      out += header[i++];
    }
    i++; // closing quote
    return out;
  };
  while (i < header.length) {
    skipSpace();
    const name = readToken();
    const metric: TimingMetric = { name };
    skipSpace();
    while (header[i] === ";") {
      i++;
      skipSpace();
      const key = readToken().toLowerCase();
      skipSpace();
      let value = "";
      if (header[i] === "=") {
        i++;
        skipSpace();
        value = readValue();
      }
      if (key === "dur" && metric.durationMs === undefined) {
        const n = Number(value);
        if (Number.isFinite(n)) metric.durationMs = n;
      } else if (key === "desc" && metric.description === undefined) {
        metric.description = value;
      }
      skipSpace();
    }
    if (name) metrics.push(metric);
    while (i < header.length && header[i] !== ",") i++;
    i++;
  }
  return metrics;
}
