// The emulated Conditional Access policy: users flagged `requiresMfa` must have
// done MFA to get tokens for the policy's resources (Graph, ARM). The API
// itself is not covered, so a password-only SPA sign-in works and the OBO to
// Graph is what fails with a claims challenge, exactly the round trip the app
// must handle.
import type { EmulatorContext } from "./context";
import { EntraError } from "./errors";
import { isRecord } from "./jwt";
import type { ResourceDefinition, User } from "./types";

export function policyCoversResource(ctx: EmulatorContext, resource: ResourceDefinition): boolean {
  return ctx.store.seed.mfaPolicy.resources.some((r) => ctx.store.resourceByIdentifier(r)?.appId === resource.appId);
}

/** Interactive sign-ins and refreshes for this user and resource need an MFA-backed session. */
export function mfaRequiredFor(ctx: EmulatorContext, user: User, resource: ResourceDefinition): boolean {
  return Boolean(user.requiresMfa) && policyCoversResource(ctx, resource);
}

export function claimsChallenge(ctx: EmulatorContext): string {
  return JSON.stringify({ access_token: { capolids: { essential: true, values: [ctx.store.seed.mfaPolicy.policyId] } } });
}

export function mfaError(ctx: EmulatorContext, resource: ResourceDefinition, withClaims = true): EntraError {
  return new EntraError(
    400,
    "interaction_required",
    50076,
    `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource.appId}'.`,
    { suberror: "basic_action", ...(withClaims ? { claims: claimsChallenge(ctx) } : {}) },
  );
}

export interface ClaimsRequest {
  /** The request asks for a stronger authentication (capolids, acrs, acr or amr). */
  stepUp: boolean;
  acrs?: string[];
}

/**
 * Reads the OIDC `claims` parameter. Client capabilities (xms_cc) and other
 * claims are accepted and ignored; only step-up requests matter here.
 */
export function parseClaimsParameter(raw: string | undefined): ClaimsRequest {
  if (!raw) return { stepUp: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new EntraError(400, "invalid_request", 90100, "The 'claims' parameter is not valid JSON.");
  }
  if (!isRecord(parsed)) throw new EntraError(400, "invalid_request", 90100, "The 'claims' parameter must be a JSON object.");
  let stepUp = false;
  let acrs: string[] | undefined;
  for (const section of ["access_token", "id_token"]) {
    const s = parsed[section];
    if (!isRecord(s)) continue;
    if ("capolids" in s || "acr" in s || "amr" in s) stepUp = true;
    const a = s["acrs"];
    if (isRecord(a)) {
      stepUp = true;
      const values = Array.isArray(a["values"]) ? a["values"] : typeof a["value"] === "string" ? [a["value"]] : [];
      acrs = values.filter((v): v is string => typeof v === "string").slice(0, 10);
    }
  }
  return { stepUp, acrs };
}
