import { downstreamGet, onBehalfOf } from "@/lib/downstream";
import { protectedRoute } from "@/lib/http/route";
import { getTokenService } from "@/lib/tokens";

/** The fields of a Graph user this API passes on (no @odata noise, nothing the SPA doesn't show). */
const PROFILE_FIELDS = ["id", "displayName", "givenName", "surname", "userPrincipalName", "mail", "jobTitle", "officeLocation", "mobilePhone", "businessPhones", "preferredLanguage"] as const;
const MANAGER_FIELDS = ["id", "displayName", "userPrincipalName", "mail", "jobTitle"] as const;

/**
 * "List manager" needs User.Read.All (least privileged); User.ReadBasic.All reads a user's basic
 * profile. With User.Read alone Graph answers with limited information (the manager's id and type,
 * every other property null), or refuses (403). The profile is still worth showing: say why the
 * manager is not, and never show a manager without a name.
 */
const MANAGER_PERMISSION = "this app's API needs the delegated permission User.ReadBasic.All (with User.Read) or User.Read.All, consented for your organization.";
const MANAGER_FORBIDDEN = { status: 403, reason: `Microsoft Graph refused to read your manager: ${MANAGER_PERMISSION}` } as const;
const MANAGER_NAMELESS = { status: 200, reason: `Microsoft Graph named your manager only by id, without a name: ${MANAGER_PERMISSION}` } as const;

/** A manager the user can recognise: one with a name (limited information has none). */
const hasName = (user: Record<string, unknown> | null): user is Record<string, unknown> =>
  user !== null && [user.displayName, user.userPrincipalName].some((v) => typeof v === "string" && v.trim() !== "");

type GraphUser = Record<string, unknown>;

function pick(user: GraphUser | undefined, fields: readonly string[]): Record<string, unknown> | null {
  if (!user) return null;
  return Object.fromEntries(fields.filter((f) => user[f] !== undefined).map((f) => [f, user[f]]));
}

/**
 * GET /api/me: the caller's Microsoft Graph profile and manager (null when the user has none, or
 * with `managerUnavailable` when Graph would not tell), fetched On-Behalf-Of the caller.
 */
export const GET = protectedRoute(async ({ caller, config, correlationId, timing }) => {
  const graph = config.downstream.graph;
  const ctx = onBehalfOf(caller, graph, { config, tokens: getTokenService(config), correlationId, timing });
  const [me, manager] = await Promise.all([
    downstreamGet<GraphUser>(graph, "/me", ctx, { label: "me" }),
    downstreamGet<GraphUser>(graph, "/me/manager", ctx, { label: "manager", allowStatuses: [403, 404] }),
  ]);
  const found = manager.status < 300 ? pick(manager.body, MANAGER_FIELDS) : null;
  const unavailable = manager.status === 403 ? MANAGER_FORBIDDEN : found && !hasName(found) ? MANAGER_NAMELESS : undefined;
  return {
    body: {
      profile: pick(me.body, PROFILE_FIELDS),
      manager: hasName(found) ? found : null,
      ...(unavailable ? { managerUnavailable: unavailable } : {}),
    },
  };
});
