import type { Caller } from "@/lib/auth";
import type { ProtectedView, ViewPolicy } from "@/lib/config";
import { encodeBase64Text, insufficientClaims, isApiError, roleRequired } from "@/lib/errors";

/** Which of `groupIds` the caller is a member of, asked of Microsoft Graph (./group-membership). */
export type MembershipLookup = (groupIds: readonly string[]) => Promise<ReadonlySet<string>>;

export interface AuthorizeInput {
  caller: Caller;
  view: ProtectedView;
  policy: ViewPolicy;
  rolesEnforced: boolean;
  /** Where the caller steps up: `${authorityHost}/${tid}/oauth2/v2.0/authorize`. */
  authorizationUri: string;
  memberOf: MembershipLookup;
}

/**
 * May the caller use the view? In this order, cheapest first:
 * 1. the role (`roles`) — from the already verified token, no I/O;
 * 2. else one of the view's groups: the token's `groups` when it lists them; when it cannot (an
 *    overage) or says nothing about groups, Microsoft Graph (cached per user); a failure to ask
 *    is an error (503), never access;
 * 3. then the authentication context (`acrs`): a caller without it is challenged to step up (401
 *    insufficient_claims), which only makes sense once the role question is settled.
 * Throws 403 role_required or 401 insufficient_claims; resolves when allowed.
 */
export async function authorize(input: AuthorizeInput): Promise<void> {
  const { caller, view, policy } = input;
  if (input.rolesEnforced && !caller.roles.includes(policy.role) && !(await inGroup(input))) {
    throw roleRequired(view, policy.role, policy.groupIds.length > 0);
  }
  if (policy.authContext && !caller.authContexts.includes(policy.authContext)) throw authContextRequired(policy.authContext, input.authorizationUri);
}

async function inGroup({ caller, policy, memberOf }: AuthorizeInput): Promise<boolean> {
  if (policy.groupIds.length === 0) return false;
  if (caller.groupClaims === "listed") return policy.groupIds.some((g) => caller.groups.includes(g));
  const members = await memberOf(policy.groupIds);
  return policy.groupIds.some((g) => members.has(g));
}

/**
 * The claims challenge for a Conditional Access authentication context, as Microsoft's developer
 * guide words it: `{"access_token":{"acrs":{"essential":true,"value":"c1"}}}`, base64 in
 * `WWW-Authenticate: Bearer ... error="insufficient_claims", claims="..."`. The SPA (and the web
 * app on the server) signs in again with these claims, and Entra applies the context's policy.
 * https://learn.microsoft.com/entra/identity-platform/developer-guide-conditional-access-authentication-context
 */
export function authContextRequired(authContext: string, authorizationUri: string) {
  const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: authContext } } });
  return insufficientClaims(claims, encodeBase64Text(claims), authorizationUri);
}

/**
 * A claims challenge from further down (Conditional Access or CAE on the On-Behalf-Of call) for a
 * view that also asks for an authentication context: the context joins the challenge, so the ONE
 * sign-in it sends the user through satisfies both (otherwise the new sign-in, not stepped up,
 * would meet the view's own challenge right after). Anything else passes through unchanged.
 */
export function withViewAuthContext(error: unknown, authContext: string | undefined): unknown {
  if (!authContext || !isApiError(error) || error.code !== "insufficient_claims" || !error.claims) return error;
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(error.claims);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return error;
    claims = parsed as Record<string, unknown>;
  } catch {
    return error;
  }
  const accessToken = typeof claims.access_token === "object" && claims.access_token !== null ? (claims.access_token as Record<string, unknown>) : {};
  if (accessToken.acrs !== undefined) return error;
  const merged = JSON.stringify({ ...claims, access_token: { ...accessToken, acrs: { essential: true, value: authContext } } });
  const uri = error.challenge?.params?.find(([name]) => name === "authorization_uri")?.[1] ?? "";
  return insufficientClaims(merged, encodeBase64Text(merged), uri, error);
}
