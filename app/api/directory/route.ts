import { protectedRoute } from "@/lib/http/route";
import { directoryView } from "@/lib/views/directory";

/**
 * GET /api/directory: the people of the caller's organization (Microsoft Graph /users
 * On-Behalf-Of the caller, every page), `{ value, pages, truncated }`. Needs the app role
 * Directory.Read or membership of one of AZURE_DIRECTORY_GROUP_IDS (403 role_required), resolved
 * through Graph when the token cannot list the groups (overage).
 */
export const GET = protectedRoute(async (ctx) => ({ body: await directoryView(ctx) }));
