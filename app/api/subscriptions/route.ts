import { protectedRoute } from "@/lib/http/route";
import { subscriptionsView } from "@/lib/views/subscriptions";

/**
 * GET /api/subscriptions: every Azure subscription the caller can see (Azure Resource Manager,
 * On-Behalf-Of with the ARM scope), all `nextLink` pages followed up to a bound. Needs the app role
 * Subscriptions.Read (403 role_required) and, when configured, the authentication context
 * AZURE_SUBSCRIPTIONS_AUTH_CONTEXT (401 insufficient_claims: step up).
 */
export const GET = protectedRoute(async (ctx) => ({ body: await subscriptionsView(ctx) }));
