import "server-only";
import type { Caller } from "@/lib/auth";
import { getConfig, type AppConfig, type ProtectedView } from "@/lib/config";
import { isApiError } from "@/lib/errors";
import { processSingleton } from "@/lib/http/process-singleton";
import type { ServerTiming } from "@/lib/http/server-timing";
import { getCacheStore, getTokenService } from "@/lib/tokens";
import { authorize, withViewAuthContext } from "./decide";
import { GroupMembership } from "./group-membership";

export { authorize, authContextRequired, withViewAuthContext, type AuthorizeInput, type MembershipLookup } from "./decide";
export { GROUP_MEMBERSHIP_TTL_SECONDS, GroupMembership, type MembershipRequest } from "./group-membership";

/** The process-wide group membership lookup for a configuration (shares the token cache's store). */
export function getGroupMembership(config: AppConfig = getConfig()): GroupMembership {
  return processSingleton("group-membership", config, () => new GroupMembership(config, getCacheStore(config), getTokenService(config)));
}

export interface ViewRequest {
  caller: Caller;
  config: AppConfig;
  correlationId: string;
  timing: ServerTiming;
  /** Test seam for Graph. */
  fetch?: typeof fetch;
}

/**
 * THE check before a protected view's data: the view's app role or group (403 role_required),
 * then its authentication context (401 insufficient_claims). Used by the API's route handlers and
 * the server-rendered web app alike.
 */
export function requireView(request: ViewRequest, view: ProtectedView): Promise<void> {
  const { caller, config } = request;
  return authorize({
    caller,
    view,
    policy: config.authorization.views[view],
    rolesEnforced: config.authorization.rolesEnforced,
    authorizationUri: `${config.authorityHost}/${caller.tid}/oauth2/v2.0/authorize`,
    memberOf: (groupIds) => getGroupMembership(config).memberOf(caller, groupIds, request),
  });
}

/**
 * Runs a view's data fetch after its authorization; a claims challenge from the downstream call
 * carries the view's authentication context along (withViewAuthContext), so one step-up does.
 */
export async function withView<T>(request: ViewRequest, view: ProtectedView, fetchData: () => Promise<T>): Promise<T> {
  await requireView(request, view);
  try {
    return await fetchData();
  } catch (e) {
    throw withViewAuthContext(e, request.config.authorization.views[view].authContext);
  }
}

/** What the navigation shows: allowed, refused (role), or unknown for now (Graph could not say). */
export interface ViewAccess {
  access: "allowed" | "role_required" | "unknown";
  /** The app role that grants the view. */
  role: string;
  /** The authentication context the view asks for (a step-up the user can do), if any. */
  authContext?: string;
}

/** requireView's verdict as data, for hiding navigation the caller cannot use. */
export async function viewAccess(request: ViewRequest, view: ProtectedView): Promise<ViewAccess> {
  const policy = request.config.authorization.views[view];
  const base = { role: policy.role, ...(policy.authContext ? { authContext: policy.authContext } : {}) };
  try {
    await requireView(request, view);
    return { access: "allowed", ...base };
  } catch (e) {
    if (isApiError(e) && e.code === "role_required") return { access: "role_required", ...base };
    // the step-up is the user's to do: the view is theirs
    if (isApiError(e) && e.code === "insufficient_claims") return { access: "allowed", ...base };
    return { access: "unknown", ...base };
  }
}
