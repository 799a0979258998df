import "server-only";
import { hasClientCapability, type Caller } from "@/lib/auth";
import type { AppConfig, DownstreamApi } from "@/lib/config";
import type { ServerTiming } from "@/lib/http/server-timing";
import type { OboTokenService } from "@/lib/tokens";
import type { DownstreamContext } from "./client";

export { downstreamGet, type DownstreamBytes, type DownstreamContext, type DownstreamResponse, type GetOptions } from "./client";
export { downstreamGetAll, type PageOptions, type PagedResult } from "./paging";
export { parseRetryAfter } from "./retry";
export { nextLinkUrl, resolveUrl } from "./url";

export interface CallerContextOptions {
  config: AppConfig;
  tokens: OboTokenService;
  correlationId: string;
  timing: ServerTiming;
  fetch?: typeof fetch;
}

/**
 * A DownstreamContext that calls `api` on behalf of `caller`: tokens come from the OBO service
 * (recorded as `obo;desc="hit"|"miss"` in Server-Timing), CAE claims challenges trigger one OBO
 * with the claims, and are forwarded to the caller when it declared the cp1 capability.
 */
export function onBehalfOf(caller: Caller, api: DownstreamApi, options: CallerContextOptions): DownstreamContext {
  const { config, tokens, correlationId, timing } = options;
  // One token per request and API: pages and parallel calls share it (and one Server-Timing entry).
  let shared: Promise<string> | undefined;
  const acquire = async (claims?: string): Promise<string> => {
    const start = performance.now();
    let source = "error";
    try {
      const t = await tokens.acquire(caller, api, { correlationId, claims });
      source = t.source;
      return t.accessToken;
    } finally {
      timing.add("obo", performance.now() - start, claims ? `${source} claims` : source);
    }
  };
  return {
    correlationId,
    timing,
    http: config.http,
    fetch: options.fetch,
    forwardClaimsChallenges: hasClientCapability(caller, "cp1"),
    authorizationUri: `${config.authorityHost}/${caller.tid}/oauth2/v2.0/authorize`,
    token: (claims?: string) => {
      if (claims) {
        // a claims challenge invalidates the shared token for the rest of this request
        shared = acquire(claims);
        return shared;
      }
      shared ??= acquire();
      // a failed acquisition is not cached for a retry within the same request
      shared.catch(() => {
        shared = undefined;
      });
      return shared;
    },
  };
}
