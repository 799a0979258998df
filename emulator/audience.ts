// Which authorities an app registration may be used at, by its signInAudience: a single-tenant
// app (AzureADMyOrg) only at its home tenant; a multi-tenant app (AzureADMultipleOrgs) at any
// tenant and at organizations/common, where the user's home tenant is used.
import type { EmulatorContext } from "./context";
import { EntraError } from "./errors";
import { unknownClient } from "./routes/client-auth";
import type { AppRegistration } from "./types";

/** The error Entra gives for `client` at this authority (tenantId undefined = organizations/common), or undefined. */
export function audienceError(ctx: EmulatorContext, client: AppRegistration, tenantId: string | undefined): EntraError | undefined {
  if (client.signInAudience !== "AzureADMyOrg") return undefined;
  if (tenantId === undefined) {
    return new EntraError(
      400,
      "invalid_request",
      50194,
      `Application '${client.clientId}'(${client.displayName}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
    );
  }
  // A single-tenant app has no service principal anywhere else: the tenant does not know it.
  if (tenantId !== client.homeTenantId) return unknownClient(ctx, client.clientId, tenantId);
  return undefined;
}
