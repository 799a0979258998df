import "server-only";
import type { AppConfig, DownstreamApi } from "@/lib/config";
import { isApiError, downstreamError, downstreamThrottled, downstreamTimeout, downstreamUnavailable } from "@/lib/errors";
import { describeError, log } from "@/lib/http/log";
import type { ServerTiming } from "@/lib/http/server-timing";
import { isTimeout, readBytes, readJson } from "./body";
import { claimsChallengeFrom, forwardedChallenge } from "./challenge";
import { RETRYABLE_UNAVAILABLE, backoffMs, defaultSleep, parseRetryAfter } from "./retry";
import { fetchTransport, nodeTransport, type DownstreamHttpResponse } from "./transport";
import { resolveUrl } from "./url";

export type { DownstreamBytes } from "./body";

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
  /** Test seam: answer downstream calls with this fetch instead of the network (node:https, transport.ts). */
  fetch?: typeof fetch;
  /** Test seam: how to wait between retries. */
  sleep?: (ms: number) => Promise<void>;
  /** Test seam: allow an http:// base URL and paging links (local test servers). Never from configuration. */
  insecureHttpForTests?: boolean;
}

export interface GetOptions {
  /**
   * POST this JSON body instead of a GET. Only for actions that read (Graph's checkMemberGroups):
   * they are retried like a GET.
   */
  postJson?: unknown;
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

export interface DownstreamResponse<T> {
  status: number;
  /** Parsed JSON body; undefined for an allowed non-2xx status or an empty body. */
  body: T | undefined;
  attempts: number;
}

/**
 * GET a downstream API with the bounded-retry policy:
 *  - per-attempt timeout (DOWNSTREAM_TIMEOUT_MS) → 504 downstream_timeout, not retried;
 *  - 429 and 502/503/504 retried up to DOWNSTREAM_MAX_RETRIES times, waiting Retry-After when
 *    sent (a wait beyond DOWNSTREAM_MAX_RETRY_AFTER_SECONDS is not attempted) or an exponential
 *    backoff; then 503 downstream_throttled/_unavailable with Retry-After;
 *  - network failures retried the same way, then 503;
 *  - 401 with a claims challenge (CAE: Graph's insufficient_claims, ARM's invalid_token with
 *    claims): one retry with a token carrying the claims; when that token needs the user (the
 *    session behind the caller's token was revoked), a cp1 caller gets the challenge to step up;
 *  - any other non-2xx → 502 downstream_error, unless listed in allowStatuses.
 * Every call sends the correlation id as client-request-id and records a Server-Timing entry.
 */
export async function downstreamGet<T>(api: DownstreamApi, pathOrUrl: string | URL, ctx: DownstreamContext, options: GetOptions = {}): Promise<DownstreamResponse<T>> {
  const url = resolveUrl(api, pathOrUrl, ctx);
  const label = options.label ?? url.pathname;
  const send = ctx.fetch ? fetchTransport(ctx.fetch) : nodeTransport;
  const sleep = ctx.sleep ?? defaultSleep;
  const { timeoutMs, maxRetries, maxRetryAfterSeconds } = ctx.http;
  const body = options.postJson === undefined ? undefined : JSON.stringify(options.postJson);
  let token = await ctx.token();
  const start = performance.now();
  let attempts = 0;
  let retries = 0;
  let claimsRetried = false;
  let outcome = "error";

  try {
    for (;;) {
      attempts++;
      let res: DownstreamHttpResponse;
      try {
        res = await send(url, {
          ...(body === undefined ? {} : { method: "POST", body }),
          headers: {
            authorization: `Bearer ${token}`,
            accept: options.bytes?.accept ?? "application/json",
            "client-request-id": ctx.correlationId,
            "x-ms-client-request-id": ctx.correlationId,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          timeoutMs,
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

      if (res.status >= 200 && res.status < 300) {
        const parsed = options.bytes
          ? ((await readBytes(res, api, timeoutMs, options.bytes.maxBytes)) as T)
          : await readJson<T>(res, api, timeoutMs);
        outcome = String(res.status);
        return { status: res.status, body: parsed, attempts };
      }

      if (res.status === 429 || RETRYABLE_UNAVAILABLE.has(res.status)) {
        const retryAfter = parseRetryAfter(res.header("retry-after"));
        res.discard();
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
        const challenge = claimsChallengeFrom(res.header("www-authenticate"));
        res.discard();
        if (challenge && !claimsRetried) {
          claimsRetried = true;
          try {
            token = await ctx.token(challenge.claims);
          } catch (e) {
            // The identity provider would not issue a token for the caller's assertion (its
            // session was revoked): only the user can fix that, by signing in again.
            if (isApiError(e) && e.code === "invalid_token" && ctx.forwardClaimsChallenges) {
              outcome = "claims_challenge";
              throw forwardedChallenge(challenge, ctx.authorizationUri, e);
            }
            throw e;
          }
          continue;
        }
        if (challenge && ctx.forwardClaimsChallenges) {
          outcome = "claims_challenge";
          throw forwardedChallenge(challenge, ctx.authorizationUri);
        }
        outcome = "401";
        throw downstreamError(api.name, 401);
      }

      if (options.allowStatuses?.includes(res.status)) {
        res.discard();
        outcome = String(res.status);
        return { status: res.status, body: undefined, attempts };
      }
      res.discard();
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
    ctx.timing.addDownstream(api.name, performance.now() - start, desc);
  }
}
