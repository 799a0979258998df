// Who may use which scope without asking, and who may say yes when asking is needed: Entra's
// pre-authorized applications, combined consent for known clients, the tenant's user-consent
// setting and permissions that only an administrator can grant.
import type { EmulatorContext } from "./context";
import { EntraError } from "./errors";
import type { ResolvedScopes } from "./scopes";
import type { AppRegistration, ResourceDefinition, User } from "./types";

/**
 * `preAuthorizedApplications`: the resource app lets `client` use these of its scopes with no
 * consent at all. Only the listed scopes, never the resource app's own downstream permissions.
 */
export function isPreAuthorized(ctx: EmulatorContext, client: AppRegistration, resource: ResourceDefinition, scope: string): boolean {
  const resourceApp = ctx.store.appByClientId(resource.appId);
  const entry = resourceApp?.preAuthorizedApplications.find((p) => p.appId === client.clientId);
  return Boolean(entry?.scopes.some((s) => s.toLowerCase() === scope.toLowerCase()));
}

/**
 * Combined consent: a known client (the API's `knownClientApplications`) asking for the API's
 * `.default` consents in the same prompt to the API's configured permissions (what it calls
 * On-Behalf-Of). A named scope (`access_as_user`) never does. `all` lists every such permission
 * (prompt=consent) instead of only those not yet granted.
 */
export function combinedConsent(
  ctx: EmulatorContext,
  client: AppRegistration,
  user: User,
  resolved: ResolvedScopes,
  all = false,
): { resourceApp: AppRegistration; scopes: string[] } | undefined {
  if (!resolved.isDefault || !resolved.resource) return undefined;
  const resourceApp = ctx.store.appByClientId(resolved.resource.appId);
  if (!resourceApp?.knownClientApplications.includes(client.clientId)) return undefined;
  const consented = ctx.store.consentedKeys(resourceApp.clientId, user.id);
  const scopes = ctx.store.configuredPermissions(resourceApp.clientId).filter((s) => all || !consented.has(ctx.store.canonicalConsentKey(s)));
  return scopes.length ? { resourceApp, scopes } : undefined;
}

/**
 * `.default` asks for the client's configured permissions (requiredResourceAccess) on that resource,
 * so a resource the client does not list is an error, AADSTS650057 in Entra's words
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes). Named scopes are
 * dynamic consent and need no listing. Client credentials are not delegated and are not checked here.
 */
export function unlistedResourceError(ctx: EmulatorContext, client: AppRegistration, resolved: ResolvedScopes): EntraError | undefined {
  if (!resolved.isDefault || !resolved.resource) return undefined;
  const resource = resolved.resource;
  if (ctx.store.configuredPermissions(client.clientId, resource.appId).length > 0) return undefined;
  const listed = [...new Set(ctx.store.configuredPermissions(client.clientId).map((s) => ctx.store.canonicalConsentKey(s).split("/")[0] ?? ""))].filter(Boolean);
  const requested = resolved.raw.split(/\s+/).find((s) => s.toLowerCase().endsWith("/.default"))?.slice(0, -"/.default".length) ?? resource.identifierUris[0] ?? resource.appId;
  return new EntraError(
    400,
    "invalid_client",
    650057,
    `Invalid resource. The client has requested access to a resource which is not listed in the requested permissions in the client's application registration. Client app ID: ${client.clientId}(${client.displayName}). Resource value from request: ${requested}. Resource app ID: ${resource.appId}. List of valid resources from app registration: ${listed.join(", ")}.`,
  );
}

/**
 * What a tenant-wide admin consent to `client` grants: the client's configured permissions and,
 * for every API that lists the client in `knownClientApplications`, that API's configured
 * permissions too ("consenting to the client means implicitly consenting to the web API",
 * https://learn.microsoft.com/graph/api/resources/apiapplication). Consent to an API never
 * covers its clients.
 */
export function adminConsentGrants(ctx: EmulatorContext, client: AppRegistration): { clientId: string; scopes: string[] }[] {
  const apis = ctx.store.apps.filter((a) => a.clientId !== client.clientId && a.knownClientApplications.includes(client.clientId));
  return [client, ...apis]
    .map((a) => ({ clientId: a.clientId, scopes: ctx.store.configuredPermissions(a.clientId) }))
    .filter((g) => g.scopes.length > 0);
}

/** Scopes (full names) that only an administrator may consent to, e.g. Graph User.Read.All. */
export function adminOnlyScopes(ctx: EmulatorContext, scopes: string[]): string[] {
  return scopes.filter((name) => {
    const slash = name.lastIndexOf("/");
    if (slash < 0) return false;
    const resource = ctx.store.resourceByIdentifier(name.slice(0, slash));
    const value = name.slice(slash + 1).toLowerCase();
    return Boolean(resource?.scopes.find((s) => s.value.toLowerCase() === value)?.adminConsentRequired);
  });
}

/**
 * Whether `user` may accept a consent prompt for `scopes` themselves: administrators always;
 * others only when their tenant allows user consent and nothing needs an administrator.
 */
export function mayConsent(ctx: EmulatorContext, user: User, scopes: string[]): boolean {
  if (ctx.store.isAdmin(user)) return true;
  return ctx.store.usersMayConsent(user.tenantId) && adminOnlyScopes(ctx, scopes).length === 0;
}

/** What Entra answers when a user reaches consent they are not allowed to give. */
export function adminApprovalRequired(client: AppRegistration): EntraError {
  return new EntraError(
    400,
    "access_denied",
    90094,
    `The grant requires admin permission. ${client.displayName} needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.`,
  );
}
