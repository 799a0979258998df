// The emulated Conditional Access policy: users flagged `requiresMfa` must have
// done MFA to get tokens for the policy's resources (Graph, ARM). The API
// itself is not covered, so a password-only SPA sign-in works and the OBO to
// Graph is what fails with a claims challenge, exactly the round trip the app
// must handle.
import type { EmulatorContext } from "./context";
import { EntraError } from "./errors";
import { isRecord } from "./jwt";
import type { ResourceDefinition, User } from "./types";

/** Entra's authentication context ids: c1 … c99 (tokens carry them lower case). */
const AUTH_CONTEXT_ID = /^c([1-9]|[1-9][0-9])$/;

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
  /** The request asks for a stronger authentication outright (capolids, acr or amr). */
  stepUp: boolean;
  /**
   * Authentication contexts asked for (`acrs`): each needs what its Conditional Access policy in
   * the user's tenant demands (authContextsNeedMfa), which is known only once the user is.
   */
  acrs?: string[];
}

/**
 * Whether signing in for these authentication contexts needs MFA the user has not done: a context
 * the user's tenant protects with the "mfa" policy does; one it does not declare has no policy and
 * is issued as asked ("ACRS requested, no policies configured with ACRS: ACRS added to claims",
 * Developer guide to Conditional Access authentication context).
 */
export function authContextsNeedMfa(ctx: EmulatorContext, tenantId: string, requested: readonly string[] | undefined, amr: readonly string[]): boolean {
  if (!requested?.length || amr.includes("mfa")) return false;
  const declared = ctx.store.authenticationContexts(tenantId);
  return requested.some((id) => declared.some((c) => c.id === id && c.requires === "mfa"));
}

/**
 * The `acrs` claim of a token: the requested contexts (the caller checked their policies are
 * satisfied), plus, when the resource opted in to the `acrs` optional claim, every context of the
 * user's tenant whose policy this sign-in already satisfies (Entra's "opportunistic evaluation":
 * a renewed token keeps the context without a new challenge). Without the opt-in, only an explicit
 * request brings `acrs` into a token, a refreshed one included.
 */
export function acrsForToken(ctx: EmulatorContext, user: User, optionalClaims: readonly string[], amr: readonly string[], requested: readonly string[] | undefined): string[] | undefined {
  const out = [...new Set(requested ?? [])];
  if (optionalClaims.includes("acrs")) {
    for (const c of ctx.store.authenticationContexts(user.tenantId)) {
      if ((c.requires !== "mfa" || amr.includes("mfa")) && !out.includes(c.id)) out.push(c.id);
    }
  }
  return out.length ? out : undefined;
}

/** A token request asked for authentication contexts the refresh token or assertion cannot satisfy. */
export function authContextError(resource: ResourceDefinition, claimsJson: string): EntraError {
  return new EntraError(
    400,
    "interaction_required",
    50076,
    `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${resource.appId}'.`,
    { suberror: "basic_action", claims: claimsJson },
  );
}

/** Requested `acrs` values from a claims section: `value` or `values`, lower case, valid ids only (at most 10). */
export function requestedAuthContexts(section: unknown): string[] | undefined {
  if (!isRecord(section)) return undefined;
  const a = section["acrs"];
  if (!isRecord(a)) return undefined;
  const values = Array.isArray(a["values"]) ? a["values"] : typeof a["value"] === "string" ? [a["value"]] : [];
  const ids = values.filter((v): v is string => typeof v === "string").map((v) => v.trim().toLowerCase());
  if (ids.some((id) => !AUTH_CONTEXT_ID.test(id))) {
    throw new EntraError(400, "invalid_request", 90100, "The 'claims' parameter asks for an authentication context (acrs) that is not c1 to c99.");
  }
  return ids.length ? [...new Set(ids)].slice(0, 10) : undefined;
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
    const requested = requestedAuthContexts(s);
    if (requested) acrs = [...new Set([...(acrs ?? []), ...requested])];
  }
  return { stepUp, acrs };
}
