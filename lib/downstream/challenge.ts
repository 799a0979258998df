import { decodeBase64Text, findChallenge } from "@/lib/errors";

/** A claims challenge from a downstream API's 401 (continuous access evaluation, Conditional Access). */
export interface DownstreamClaimsChallenge {
  /** The decoded claims JSON, to pass to the token request. */
  claims: string;
  /** As the API sent it (base64), to forward to our caller unchanged. */
  encoded: string;
  /** The API's authorization_uri, when it named one. */
  authorizationUri?: string;
}

/**
 * The claims challenge in a downstream 401's `WWW-Authenticate`, or undefined when there is none
 * or it cannot be decoded to JSON.
 */
export function claimsChallengeFrom(header: string | null): DownstreamClaimsChallenge | undefined {
  const challenge = safeChallenge(header);
  const encoded = challenge?.params.error === "insufficient_claims" ? challenge.params.claims : undefined;
  if (!encoded) return undefined;
  const claims = safeDecode(encoded);
  if (!claims) return undefined;
  return { claims, encoded, authorizationUri: challenge?.params.authorization_uri };
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
