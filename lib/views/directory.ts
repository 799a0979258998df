import "server-only";
import { withView, type ViewRequest } from "@/lib/authz";
import { downstreamGetAll, onBehalfOf } from "@/lib/downstream";
import { getTokenService } from "@/lib/tokens";

/** The properties of a person the Directory view shows (User.ReadBasic.All reads them for any user). */
export interface DirectoryPerson {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  mail: string | null;
  jobTitle: string | null;
  /** "Member", or "Guest" for B2B guests of the organization. */
  userType: string | null;
}

export interface DirectoryResult {
  /** The users of the caller's tenant (Graph names collections `value`). */
  value: DirectoryPerson[];
  pages: number;
  truncated: boolean;
}

const SELECT = "id,displayName,userPrincipalName,mail,jobTitle,userType";
/** Graph's largest page is 999 users; 20 pages of 100 cover organizations of 2 000 people. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;

/**
 * The Directory view (seed 002's `/users` scenario): after the view's authorization (app role
 * Directory.Read, or one of AZURE_DIRECTORY_GROUP_IDS), the users of the caller's own tenant from
 * Microsoft Graph `/users` On-Behalf-Of the caller, every `@odata.nextLink` page followed (links
 * checked: lib/downstream/next-link). Shared by GET /api/directory and /web/directory.
 */
export function directoryView(request: ViewRequest): Promise<DirectoryResult> {
  return withView(request, "directory", async () => {
    const { caller, config, correlationId, timing } = request;
    const graph = config.downstream.graph;
    const ctx = onBehalfOf(caller, graph, { config, tokens: getTokenService(config), correlationId, timing, fetch: request.fetch });
    const result = await downstreamGetAll<Record<string, unknown>>(graph, `/users?$select=${SELECT}&$top=${PAGE_SIZE}`, ctx, { label: "users", maxPages: MAX_PAGES });
    const text = (v: unknown) => (typeof v === "string" ? v : null);
    return {
      value: result.items.map((u) => ({
        id: String(u.id ?? ""),
        displayName: text(u.displayName),
        userPrincipalName: text(u.userPrincipalName),
        mail: text(u.mail),
        jobTitle: text(u.jobTitle),
        userType: text(u.userType),
      })),
      pages: result.pages,
      truncated: result.truncated,
    };
  });
}
