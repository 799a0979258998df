import "server-only";
import { withView, type ViewRequest } from "@/lib/authz";
import { downstreamGetAll, onBehalfOf } from "@/lib/downstream";
import { getTokenService } from "@/lib/tokens";

export interface Subscription {
  id?: string;
  subscriptionId?: string;
  displayName?: string;
  state?: string;
  tenantId?: string;
}

export interface SubscriptionsResult {
  /** `value`, as ARM and Graph name collections (components/spa/api-types.ts reads it). */
  value: Subscription[];
  pages: number;
  truncated: boolean;
}

/** Pages followed at most; 20 x 100 subscriptions covers all but the largest estates. */
const MAX_PAGES = 20;

/**
 * The Subscriptions view: after the view's authorization (app role Subscriptions.Read, its
 * authentication context when configured), every Azure subscription the caller can see (Azure
 * Resource Manager, On-Behalf-Of with the ARM scope), all `nextLink` pages up to a bound. Shared
 * by GET /api/subscriptions and the server-rendered /web/subscriptions.
 */
export function subscriptionsView(request: ViewRequest): Promise<SubscriptionsResult> {
  return withView(request, "subscriptions", async () => {
    const { caller, config, correlationId, timing } = request;
    const arm = config.downstream.arm;
    const ctx = onBehalfOf(caller, arm, { config, tokens: getTokenService(config), correlationId, timing, fetch: request.fetch });
    const result = await downstreamGetAll<Subscription>(arm, "/subscriptions?api-version=2022-12-01", ctx, { label: "page", maxPages: MAX_PAGES });
    return {
      value: result.items.map((s) => ({ id: s.id, subscriptionId: s.subscriptionId, displayName: s.displayName, state: s.state, tenantId: s.tenantId })),
      pages: result.pages,
      truncated: result.truncated,
    };
  });
}
