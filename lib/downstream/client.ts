import "server-only";
import type { AppConfig, DownstreamApi } from "@/lib/config";
import {
  isApiError,
  decodeBase64Text,
  downstreamError,
  downstreamThrottled,
  downstreamTimeout,
  downstreamUnavailable,
  findChallenge,
  insufficientClaims,
} from "@/lib/errors";
import { describeError, log } from "@/lib/http/log";
import type { ServerTiming } from "@/lib/http/server-timing";

export interface DownstreamContext {
  correlationId: string;
  timing: ServerTiming;
  http: AppConfig["http"];
  /**
   * An access token for the API. Called with `claims` when the API answered with a CAE claims
   * challenge: the provider must then request a fresh token carrying those claims.
   */
  token: (claims?: string) => Promise<string>;
  /**
   * Pass a downstream claims challenge through to our caller (401 insufficient_claims) when a
   * fresh token does not satisfy it. True when the caller declared the `cp1` capability.
   */
  forwardClaimsChallenges?: boolean;
  /** authorization_uri for a forwarded claims challenge, e.g. `${authority}/oauth2/v2.0/authorize`. */
  authorizationUri?: string;
  fetch?: typeof fetch;
  /** Test seam: how to wait between retries. */
  sleep?: (ms: number) => Promise<void>;
}

export interface GetOptions {
  /** Statuses returned to the caller instead of raised, e.g. [404] for "no manager". */
  allowStatuses?: number[];
  /** Server-Timing description, e.g. "me". Defaults to the path. */
  label?: string;
  /**
   * Read the body as bytes (e.g. Graph's /me/photo/$value) instead of JSON: the response body
   * is then a DownstreamBytes. Larger bodies are refused (502), never buffered unbounded.
   */
  bytes?: { accept: string; maxBytes: number };
}

/** A binary downstream body, with the content type the API declared. */
export interface DownstreamBytes {
  contentType: string;
  bytes: ArrayBuffer;
}

export interface DownstreamResponse<T> {
  status: number;
  /** Parsed JSON body; undefined for an allowed non-2xx status or an empty body. */
  body: T | undefined;
  attempts: number;
}

export interface PageOptions {
  /** Stop after this many pages (the result is then `truncated`). Default 20. */
  maxPages?: number;
  /** Stop after this many items. Default 5 000. */
  maxItems?: number;
  label?: string;
}

export interface PagedResult<T> {
  items: T[];
  pages: number;
  /** True when a bound stopped paging before the last page. */
  truncated: boolean;
}

const RETRYABLE_UNAVAILABLE = new Set([502, 503, 504]);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Absolute URL for `path` under the API's base URL; absolute URLs must stay on the API's origin. */
export function resolveUrl(api: DownstreamApi, pathOrUrl: string): URL {
  const base = new URL(api.baseUrl.endsWith("/") ? api.baseUrl : `${api.baseUrl}/`);
  if (/^https?:\/\//i.test(pathOrUrl)) {
    const url = new URL(pathOrUrl);
    // Never send the user's token to another host (a nextLink is data from the response).
    if (url.origin !== base.origin) throw downstreamError(api.name, 502, new Error(`refusing to follow a link to another origin (${url.origin})`));
    return url;
  }
  return new URL(pathOrUrl.replace(/^\/+/, ""), base);
}

/** Seconds from a Retry-After header (delta-seconds or HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * GET a downstream API with the bounded-retry policy:
 *  - per-attempt timeout (DOWNSTREAM_TIMEOUT_MS) → 504 downstream_timeout, not retried;
 *  - 429 and 502/503/504 retried up to DOWNSTREAM_MAX_RETRIES times, waiting Retry-After when
 *    sent (a wait beyond DOWNSTREAM_MAX_RETRY_AFTER_SECONDS is not attempted) or an exponential
 *    backoff; then 503 downstream_throttled/_unavailable with Retry-After;
 *  - network failures retried the same way, then 503;
 *  - 401 with a CAE claims challenge: one retry with a token carrying the claims;
 *  - any other non-2xx → 502 downstream_error, unless listed in allowStatuses.
 * Every call sends the correlation id as client-request-id and records a Server-Timing entry.
 */
export async function downstreamGet<T>(api: DownstreamApi, pathOrUrl: string, ctx: DownstreamContext, options: GetOptions = {}): Promise<DownstreamResponse<T>> {
  const url = resolveUrl(api, pathOrUrl);
  const label = options.label ?? url.pathname;
  const fetchImpl = ctx.fetch ?? fetch;
  const sleep = ctx.sleep ?? defaultSleep;
  const { timeoutMs, maxRetries, maxRetryAfterSeconds } = ctx.http;
  let token = await ctx.token();
  const start = performance.now();
  let attempts = 0;
  let retries = 0;
  let claimsRetried = false;
  let outcome = "error";

  try {
    for (;;) {
      attempts++;
      let res: Response;
      try {
        res = await fetchImpl(url, {
          headers: {
            authorization: `Bearer ${token}`,
            accept: options.bytes?.accept ?? "application/json",
            "client-request-id": ctx.correlationId,
            "x-ms-client-request-id": ctx.correlationId,
          },
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
        });
      } catch (e) {
        if (isTimeout(e)) {
          outcome = "timeout";
          throw downstreamTimeout(api.name, timeoutMs);
        }
        if (retries < maxRetries) {
          await sleep(backoffMs(retries++));
          continue;
        }
        outcome = "unreachable";
        throw downstreamUnavailable(api.name, Math.max(1, Math.min(5, maxRetryAfterSeconds)), e);
      }

      if (res.ok) {
        const body = options.bytes
          ? ((await readBytes(res, api, timeoutMs, options.bytes.maxBytes)) as T)
          : await readJson<T>(res, api, timeoutMs);
        outcome = String(res.status);
        return { status: res.status, body, attempts };
      }

      if (res.status === 429 || RETRYABLE_UNAVAILABLE.has(res.status)) {
        const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
        await res.body?.cancel().catch(() => undefined);
        const waitMs = retryAfter !== undefined ? retryAfter * 1000 : backoffMs(retries);
        if (retries < maxRetries && waitMs <= maxRetryAfterSeconds * 1000) {
          retries++;
          await sleep(waitMs);
          continue;
        }
        const after = Math.max(1, retryAfter ?? Math.ceil(waitMs / 1000));
        outcome = String(res.status);
        throw res.status === 429 ? downstreamThrottled(api.name, after) : downstreamUnavailable(api.name, after);
      }

      if (res.status === 401) {
        const challenge = safeChallenge(res.headers.get("www-authenticate"));
        await res.body?.cancel().catch(() => undefined);
        const encoded = challenge?.params.error === "insufficient_claims" ? challenge.params.claims : undefined;
        if (encoded) {
          const claims = safeDecode(encoded);
          if (claims && !claimsRetried) {
            claimsRetried = true;
            token = await ctx.token(claims);
            continue;
          }
          if (claims && ctx.forwardClaimsChallenges) {
            outcome = "claims_challenge";
            throw insufficientClaims(claims, encoded, challenge?.params.authorization_uri ?? ctx.authorizationUri ?? "");
          }
        }
        outcome = "401";
        throw downstreamError(api.name, 401);
      }

      if (options.allowStatuses?.includes(res.status)) {
        await res.body?.cancel().catch(() => undefined);
        outcome = String(res.status);
        return { status: res.status, body: undefined, attempts };
      }
      await res.body?.cancel().catch(() => undefined);
      outcome = String(res.status);
      throw downstreamError(api.name, res.status);
    }
  } catch (e) {
    if (!isApiError(e)) {
      log("error", "downstream.unexpected", { api: api.name, correlationId: ctx.correlationId, error: describeError(e) });
    }
    throw e;
  } finally {
    const desc = `${label}${attempts > 1 ? ` x${attempts}` : ""}${outcome.startsWith("2") ? "" : ` ${outcome}`}`;
    ctx.timing.add(api.name, performance.now() - start, desc);
  }
}

/**
 * GET every page of a collection (`value` array), following `@odata.nextLink` (Graph) or
 * `nextLink` (ARM) on the same origin, bounded by maxPages/maxItems.
 */
export async function downstreamGetAll<T>(api: DownstreamApi, path: string, ctx: DownstreamContext, options: PageOptions = {}): Promise<PagedResult<T>> {
  const maxPages = options.maxPages ?? 20;
  const maxItems = options.maxItems ?? 5_000;
  const items: T[] = [];
  let next: string | undefined = path;
  let pages = 0;
  while (next) {
    if (pages >= maxPages || items.length >= maxItems) {
      log("warn", "downstream.paging_truncated", { api: api.name, correlationId: ctx.correlationId, pages, items: items.length });
      return { items: items.slice(0, maxItems), pages, truncated: true };
    }
    pages++;
    const res: DownstreamResponse<{ value?: T[]; "@odata.nextLink"?: string; nextLink?: string }> = await downstreamGet(api, next, ctx, {
      label: `${options.label ?? "page"} ${pages}`,
    });
    const body = res.body;
    if (!body || !Array.isArray(body.value)) throw downstreamError(api.name, res.status, new Error("collection response without a value array"));
    items.push(...body.value);
    next = body["@odata.nextLink"] ?? body.nextLink ?? undefined;
  }
  const truncated = items.length > maxItems;
  return { items: truncated ? items.slice(0, maxItems) : items, pages, truncated };
}

function backoffMs(retry: number): number {
  const base = 200 * 2 ** retry;
  return base / 2 + Math.random() * (base / 2);
}

/** Duck-typed: fetch rejects with a DOMException, which is not an `Error` of every realm (Jest vm). */
function isTimeout(e: unknown): boolean {
  const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : undefined;
  return name === "TimeoutError";
}

async function readJson<T>(res: Response, api: DownstreamApi, timeoutMs: number): Promise<T | undefined> {
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    if (isTimeout(e)) throw downstreamTimeout(api.name, timeoutMs);
    throw downstreamUnavailable(api.name, 1, e);
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw downstreamError(api.name, res.status, e);
  }
}

async function readBytes(res: Response, api: DownstreamApi, timeoutMs: number, maxBytes: number): Promise<DownstreamBytes> {
  const declared = Number(res.headers.get("content-length"));
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw downstreamError(api.name, res.status, new Error(`body of ${declared} bytes exceeds ${maxBytes}`));
  }
  let buffer: ArrayBuffer;
  try {
    buffer = await res.arrayBuffer();
  } catch (e) {
    if (isTimeout(e)) throw downstreamTimeout(api.name, timeoutMs);
    throw downstreamUnavailable(api.name, 1, e);
  }
  if (buffer.byteLength > maxBytes) throw downstreamError(api.name, res.status, new Error(`body exceeds ${maxBytes} bytes`));
  return { contentType: res.headers.get("content-type") ?? "application/octet-stream", bytes: buffer };
}

function safeChallenge(header: string | null) {
  try {
    return findChallenge(header);
  } catch {
    return undefined;
  }
}

function safeDecode(encoded: string): string | undefined {
  try {
    const text = decodeBase64Text(encoded);
    JSON.parse(text);
    return text;
  } catch {
    return undefined;
  }
}
