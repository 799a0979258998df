import "server-only";
import { getConfig, type AppConfig } from "@/lib/config";
import { invalidRequest, missingToken } from "@/lib/errors";
import { processSingleton } from "@/lib/http/process-singleton";
import type { ServerTiming } from "@/lib/http/server-timing";
import { OpenIdMetadataCache } from "./discovery";
import { TokenVerifier, type Caller, type VerifyResult } from "./verifier";

export { DiscoveryError, OpenIdMetadataCache, type OpenIdMetadata, type OpenIdMetadataCacheOptions } from "./discovery";
export { TokenVerifier, type Caller, type VerifierOptions, type VerifyOptions, type VerifyResult } from "./verifier";
export { hasClientCapability } from "./capabilities";

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?: |$)/;

/**
 * The bearer token in an Authorization header value. Throws 401 missing_token when there is no
 * header or it uses another scheme (RFC 6750 §3.1: no error code then), 400 invalid_request when
 * it is a malformed Bearer header (several tokens, bad characters, repeated headers).
 */
export function bearerTokenFrom(authorization: string | null): string {
  const value = authorization?.trim();
  if (!value) throw missingToken();
  const scheme = SCHEME.exec(value)?.[1];
  if (!scheme || scheme.toLowerCase() !== "bearer") {
    if (!scheme) throw invalidRequest("The Authorization header is malformed.");
    throw missingToken();
  }
  const match = BEARER.exec(value);
  if (!match?.[1]) throw invalidRequest("The Authorization header must carry exactly one bearer token.");
  return match[1];
}

/** The process-wide OpenID metadata cache for a configuration (shared by auth and tokens). */
export function getOpenIdMetadataCache(config: AppConfig = getConfig()): OpenIdMetadataCache {
  return processSingleton("openid-metadata", config, () => new OpenIdMetadataCache({ authorityHost: config.authorityHost, timeoutMs: Math.min(config.http.timeoutMs, 10_000) }));
}

/** The process-wide verifier for a configuration. */
export function getVerifier(config: AppConfig = getConfig()): TokenVerifier {
  return processSingleton("token-verifier", config, () => new TokenVerifier(config, getOpenIdMetadataCache(config)));
}

/**
 * THE way to learn who is calling: verifies the request's bearer token (memoized per token until
 * it expires) and returns the caller, or throws an ApiError that toProblemResponse turns into
 * 400/401/403/503 with the right WWW-Authenticate. Used by proxy.ts and by every route handler;
 * nothing else about identity is read from the request.
 */
export async function authenticate(request: Request, timing?: ServerTiming, config?: AppConfig): Promise<Caller> {
  const start = performance.now();
  let result: VerifyResult | undefined;
  try {
    const token = bearerTokenFrom(request.headers.get("authorization"));
    result = await getVerifier(config).verify(token);
    return result.caller;
  } finally {
    timing?.add("verify", performance.now() - start, result ? (result.memoized ? "memo" : "full") : "rejected");
  }
}
