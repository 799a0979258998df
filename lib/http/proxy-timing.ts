/**
 * proxy.ts verifies every API request's token before the route handler runs, in the same process.
 * What that cost travels to the handler in one request header, so the response's Server-Timing
 * shows it (`proxy-verify`) and `total` counts from the proxy's start. proxy.ts always overwrites
 * the header; a handler accepts only a well-formed, recent value, and it carries nothing but timings.
 */
export const PROXY_TIMING_HEADER = "x-proxy-timing";

export interface ProxyTiming {
  /** When proxy.ts started on the request, on this process's performance.now() clock. */
  startedAt: number;
  verifyMs: number;
  /** "full": the token was verified (first time seen); "memo": it was verified before. */
  verify: "full" | "memo";
}

const FORMAT = /^(\d{1,9}(?:\.\d{1,3})?);(\d{1,6}(?:\.\d{1,3})?);(full|memo)$/;

/** `<start, ms since the process's time origin>;<verify ms>;<full|memo>` */
export function encodeProxyTiming(t: ProxyTiming): string {
  return `${t.startedAt.toFixed(3)};${t.verifyMs.toFixed(3)};${t.verify}`;
}

/** The proxy's timing, or undefined when the header is missing, malformed or not from this request. */
export function decodeProxyTiming(value: string | null, now = performance.now()): ProxyTiming | undefined {
  const m = value ? FORMAT.exec(value) : null;
  if (!m) return undefined;
  const startedAt = Number(m[1]);
  const verifyMs = Number(m[2]);
  // the proxy ran moments ago in this process: anything else did not come from it
  if (!(startedAt <= now && now - startedAt < 60_000 && verifyMs <= now - startedAt)) return undefined;
  return { startedAt, verifyMs, verify: m[3] as "full" | "memo" };
}
