import { viewAccess } from "@/lib/authz";
import { protectedRoute } from "@/lib/http/route";

/**
 * GET /api/access: which views the caller may open, decided by the rules the views themselves
 * enforce (lib/authz), so the SPA hides navigation the user cannot use. Advisory only: every view
 * checks again. `unknown` when Microsoft Graph could not say (group overage, Graph unavailable).
 */
export const GET = protectedRoute(async (ctx) => {
  const [subscriptions, directory] = await Promise.all([viewAccess(ctx, "subscriptions"), viewAccess(ctx, "directory")]);
  return { body: { rolesEnforced: ctx.config.authorization.rolesEnforced, views: { profile: { access: "allowed" }, subscriptions, directory } } };
});
