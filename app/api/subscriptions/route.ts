import { downstreamGetAll, onBehalfOf } from "@/lib/downstream";
import { protectedRoute } from "@/lib/http/route";
import { getTokenService } from "@/lib/tokens";

interface ArmSubscription {
  id?: string;
  subscriptionId?: string;
  displayName?: string;
  state?: string;
  tenantId?: string;
}

/** Pages followed at most; 20 x 100 subscriptions covers all but the largest estates. */
const MAX_PAGES = 20;

/**
 * GET /api/subscriptions: every Azure subscription the caller can see (Azure Resource Manager,
 * On-Behalf-Of with the ARM scope), all `nextLink` pages followed up to a bound.
 */
export const GET = protectedRoute(async ({ caller, config, correlationId, timing }) => {
  const arm = config.downstream.arm;
  const ctx = onBehalfOf(caller, arm, { config, tokens: getTokenService(config), correlationId, timing });
  const result = await downstreamGetAll<ArmSubscription>(arm, "/subscriptions?api-version=2022-12-01", ctx, { label: "page", maxPages: MAX_PAGES });
  return {
    body: {
      // `value`, as ARM and Graph name collections (components/spa/api-types.ts reads it)
      value: result.items.map((s) => ({
        id: s.id,
        subscriptionId: s.subscriptionId,
        displayName: s.displayName,
        state: s.state,
        tenantId: s.tenantId,
      })),
      pages: result.pages,
      truncated: result.truncated,
    },
  };
});
