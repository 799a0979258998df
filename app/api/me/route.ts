import { downstreamGet, onBehalfOf } from "@/lib/downstream";
import { protectedRoute } from "@/lib/http/route";
import { getTokenService } from "@/lib/tokens";

/** The fields of a Graph user this API passes on (no @odata noise, nothing the SPA doesn't show). */
const PROFILE_FIELDS = ["id", "displayName", "givenName", "surname", "userPrincipalName", "mail", "jobTitle", "officeLocation", "mobilePhone", "businessPhones", "preferredLanguage"] as const;
const MANAGER_FIELDS = ["id", "displayName", "userPrincipalName", "mail", "jobTitle"] as const;

type GraphUser = Record<string, unknown>;

function pick(user: GraphUser | undefined, fields: readonly string[]): Record<string, unknown> | null {
  if (!user) return null;
  return Object.fromEntries(fields.filter((f) => user[f] !== undefined).map((f) => [f, user[f]]));
}

/**
 * GET /api/me: the caller's Microsoft Graph profile and manager (null when the user has none),
 * fetched On-Behalf-Of the caller with the Graph scopes.
 */
export const GET = protectedRoute(async ({ caller, config, correlationId, timing }) => {
  const graph = config.downstream.graph;
  const ctx = onBehalfOf(caller, graph, { config, tokens: getTokenService(config), correlationId, timing });
  const [me, manager] = await Promise.all([
    downstreamGet<GraphUser>(graph, "/me", ctx, { label: "me" }),
    downstreamGet<GraphUser>(graph, "/me/manager", ctx, { label: "manager", allowStatuses: [404] }),
  ]);
  return { body: { profile: pick(me.body, PROFILE_FIELDS), manager: manager.status === 404 ? null : pick(manager.body, MANAGER_FIELDS) } };
});
