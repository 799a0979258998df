import { downstreamGet, onBehalfOf } from "@/lib/downstream";
import { protectedRoute } from "@/lib/http/route";
import { getTokenService } from "@/lib/tokens";

/** The fields of a Graph user this API passes on (no @odata noise, nothing the SPA doesn't show). */
const PROFILE_FIELDS = ["id", "displayName", "givenName", "surname", "userPrincipalName", "mail", "jobTitle", "officeLocation", "mobilePhone", "businessPhones", "preferredLanguage"] as const;
const MANAGER_FIELDS = ["id", "displayName", "userPrincipalName", "mail", "jobTitle"] as const;

/**
 * Graph answers 403 to /me/manager when the token lacks User.ReadBasic.All (with User.Read) or
 * User.Read.All ("List manager"). The profile is still worth showing: say why the manager is not.
 */
const MANAGER_FORBIDDEN = {
  status: 403,
  reason:
    "Microsoft Graph refused to read your manager: this app's API needs the delegated permission User.ReadBasic.All (with User.Read) or User.Read.All, consented for your organization.",
} as const;

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
  return {
    body: {
      profile: pick(me.body, PROFILE_FIELDS),
      manager: manager.status < 300 ? pick(manager.body, MANAGER_FIELDS) : null,
      ...(manager.status === 403 ? { managerUnavailable: MANAGER_FORBIDDEN } : {}),
    },
  };
});
