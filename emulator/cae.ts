// Continuous access evaluation (CAE): a user's session is revoked (an admin revoked sign-in
// sessions, the password was reset) and a CAE-enabled resource (Graph, ARM) stops honouring
// access tokens issued before that moment, long before they expire. It answers 401 with a
// claims challenge asking for a token not valid before the revocation
// ({"access_token":{"nbf":{"essential":true,"value":"<revocation time>"}}}), each service in its
// own format:
//   Graph: Bearer realm="", authorization_uri=".../common/oauth2/authorize", client_id="<graph>",
//          error="insufficient_claims", claims="<base64>"
//   ARM:   Bearer authorization_uri=".../", error="invalid_token",
//          error_description="User session has been revoked", claims="<base64>"
// https://learn.microsoft.com/entra/identity-platform/app-resilience-continuous-access-evaluation
// https://learn.microsoft.com/entra/identity/conditional-access/concept-continuous-access-evaluation
//
// The emulator is stricter than the services: during a revocation the resource accepts only a
// token that carries the requested claim (minted for a request with that `claims` value), so an
// app that does not pass the challenge's claims to its token request never gets through. Like the
// services, it challenges only CAE tokens: those of clients that declared the cp1 capability
// (`xms_cc`); other tokens stay valid until they expire.
import type { EmulatorContext } from "./context";
import { EntraError } from "./errors";
import { delay } from "./http";
import { isRecord, numberClaim, type JwtPayload } from "./jwt";
import { requestedAuthContexts } from "./mfa";
import type { CaeTarget, SessionRevocation, User } from "./types";

/** The claims request a CAE resource puts in its challenge. */
export function revocationClaims(revokedAt: number): string {
  return JSON.stringify({ access_token: { nbf: { essential: true, value: String(revokedAt) } } });
}

/**
 * Records a revocation at the next whole second T and returns once T has passed, so every token
 * issued before the call has iat < T and every token issued after it has iat > T: only a token
 * minted for a claims request carries nbf = T (tokens carry whole seconds).
 */
export async function revokeSession(ctx: EmulatorContext, target: CaeTarget, user: User, signOut: boolean): Promise<SessionRevocation> {
  const revokedAt = Math.floor(Date.now() / 1000) + 1;
  const revocation: SessionRevocation = { target, mode: "session_revoked", username: user.userPrincipalName, userOid: user.id, revokedAt, signOut };
  ctx.faults.revoke(revocation);
  if (signOut) {
    for (const grants of ctx.allGrants) for (const [id, s] of grants.sessions) if (s.userOid === user.id) grants.sessions.delete(id);
  }
  await delay((revokedAt + 1) * 1000 - Date.now());
  return revocation;
}

/**
 * Whether the token is a CAE token: its client declared the cp1 capability (`xms_cc`), which the
 * resource put in it. "If a resource API implements CAE and your application declares it can handle
 * CAE, your app receives CAE tokens for that resource" (Microsoft Learn, "How to use Continuous
 * Access Evaluation enabled APIs"); other clients get ordinary tokens, no claims challenge.
 */
export function isCaeToken(payload: JwtPayload): boolean {
  const cc = payload["xms_cc"];
  return Array.isArray(cc) && cc.some((c) => typeof c === "string" && c.toLowerCase() === "cp1");
}

/**
 * The challenge a revoked user's token meets at `target`, or undefined when the token is
 * acceptable: not a CAE token (it runs out by itself, within the ordinary lifetime), or issued
 * after the revocation and carrying the requested `nbf`.
 */
export function revokedTokenChallenge(ctx: EmulatorContext, target: CaeTarget, payload: JwtPayload, oid: string): SessionRevocation | undefined {
  const revocation = ctx.faults.revocation(target, oid);
  if (!revocation || !isCaeToken(payload)) return undefined;
  const iat = numberClaim(payload, "iat") ?? 0;
  const nbf = numberClaim(payload, "nbf");
  return iat >= revocation.revokedAt && nbf === revocation.revokedAt ? undefined : revocation;
}

/**
 * The sign-in revocation that invalidates a grant (an OBO assertion or a refresh token) issued at
 * `issuedAt` for this user, as Entra's AADSTS50173 ("TokensValidFrom").
 */
export function revokedGrantError(ctx: EmulatorContext, userOid: string, issuedAt: number): EntraError | undefined {
  const revokedAt = ctx.faults.signInRevokedAt(userOid);
  if (revokedAt === undefined || issuedAt >= revokedAt) return undefined;
  return new EntraError(
    400,
    "invalid_grant",
    50173,
    `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${new Date(issuedAt * 1000).toISOString()}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${new Date(revokedAt * 1000).toISOString()}'.`,
  );
}

/** What a token request's `claims` parameter asks to see in the access token. */
export interface AccessTokenClaimsRequest {
  /** Client capabilities (xms_cc values), e.g. ["cp1"]. */
  clientCapabilities?: string[];
  /** A CAE challenge's "not before" (seconds). */
  nbf?: number;
  /** Authentication contexts asked for (step-up, `acrs`), lower case. */
  acrs?: string[];
  /** The raw parameter, echoed in an interaction_required answer when the grant cannot satisfy it. */
  raw?: string;
}

/** Reads the `access_token` part of an OIDC `claims` parameter; malformed JSON is invalid_request (AADSTS90100). */
export function accessTokenClaimsRequest(raw: string | undefined): AccessTokenClaimsRequest {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EntraError(400, "invalid_request", 90100, "The 'claims' parameter is not valid JSON.");
  }
  const at = isRecord(parsed) ? parsed["access_token"] : undefined;
  if (!isRecord(at)) return {};
  const out: AccessTokenClaimsRequest = { raw };
  const acrs = requestedAuthContexts(at);
  if (acrs) out.acrs = acrs;
  const cc = at["xms_cc"];
  if (isRecord(cc) && Array.isArray(cc["values"])) out.clientCapabilities = cc["values"].filter((v): v is string => typeof v === "string").slice(0, 10);
  const nbf = at["nbf"];
  if (isRecord(nbf)) {
    const value = Number(nbf["value"]);
    if (Number.isInteger(value) && value > 0) out.nbf = value;
  }
  return out;
}

/**
 * The claims a token minted for that request carries: the requested `nbf` (never later than
 * now) and `xms_cc` when the resource opted in to that optional claim.
 */
export function requestedAccessTokenClaims(request: AccessTokenClaimsRequest, resourceOptionalClaims: readonly string[], now: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (request.nbf !== undefined) out["nbf"] = Math.min(request.nbf, now);
  if (request.clientCapabilities?.length && resourceOptionalClaims.includes("xms_cc")) out["xms_cc"] = request.clientCapabilities;
  return out;
}
