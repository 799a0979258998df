/** The retry policy's arithmetic: which statuses are worth another attempt, and how long to wait. */

/** Statuses retried as "unavailable" (429 is retried as "throttled"). */
export const RETRYABLE_UNAVAILABLE = new Set([502, 503, 504]);

/** Seconds from a Retry-After header (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/** Exponential backoff with jitter: 100–200 ms, then 200–400 ms, ... */
export function backoffMs(retry: number): number {
  const base = 200 * 2 ** retry;
  return base / 2 + Math.random() * (base / 2);
}

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
