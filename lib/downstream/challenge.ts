import { decodeBase64Text, insufficientClaims, parseWwwAuthenticate, type ApiError } from "@/lib/errors";

/** A claims challenge from a downstream API's 401 (continuous access evaluation, Conditional Access). */
export interface DownstreamClaimsChallenge {
  /** The decoded claims JSON, to pass to the token request. */
  claims: string;
  /** As the API sent it (base64), to forward to our caller unchanged. */
  encoded: string;
  /** The API's `error`: Graph says insufficient_claims, ARM invalid_token (user session revoked). */
  error?: string;
  /** The API's authorization_uri, when it named one. */
  authorizationUri?: string;
}

/**
 * The claims challenge in a downstream 401's `WWW-Authenticate`, or undefined when there is none
 * or it cannot be decoded to JSON.
 *
 * Any Bearer challenge that carries `claims` counts, whatever its `error`: Graph answers a revoked
 * session with `error="insufficient_claims"`, Azure Resource Manager with `error="invalid_token",
 * error_description="User session has been revoked"`; the Azure SDKs treat both as a claims
 * challenge (azure-mgmt-core's ARMChallengeAuthenticationPolicy).
 * https://learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation
 */
export function claimsChallengeFrom(header: string | null): DownstreamClaimsChallenge | undefined {
  const challenge = safeChallenges(header).find((c) => c.scheme.toLowerCase() === "bearer" && c.params.claims);
  const encoded = challenge?.params.claims;
  if (!challenge || !encoded) return undefined;
  const claims = safeDecode(encoded);
  if (!claims) return undefined;
  return { claims, encoded, error: challenge.params.error, authorizationUri: challenge.params.authorization_uri };
}

/**
 * The downstream challenge as this API's documented `insufficient_claims` challenge, for a caller
 * that can step up (it declared the cp1 capability). The authorization_uri is ours (the caller's
 * tenant at our authority), not the downstream API's, which may name a bare or another host.
 */
export function forwardedChallenge(challenge: DownstreamClaimsChallenge, authorizationUri: string | undefined, cause?: unknown): ApiError {
  return insufficientClaims(challenge.claims, challenge.encoded, authorizationUri ?? challenge.authorizationUri ?? "", cause);
}

function safeChallenges(header: string | null) {
  if (!header) return [];
  try {
    return parseWwwAuthenticate(header);
  } catch {
    return [];
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
