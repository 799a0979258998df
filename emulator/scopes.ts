// Turns a `scope` parameter into (one resource, its scope names, OIDC scopes),
// the way Entra does: bare names mean Microsoft Graph, `<uri>/.default` means
// everything consented for that resource, and one request = one resource.
import { EntraError } from "./errors";
import { OIDC_SCOPES, type TenantStore } from "./tenant-store";
import type { ResourceDefinition } from "./types";

export interface ResolvedScopes {
  /** Undefined when only OIDC scopes were asked for (Entra then issues a Graph token). */
  resource?: ResourceDefinition;
  /** Resource scope names with the registered casing (empty for .default). */
  names: string[];
  isDefault: boolean;
  oidc: string[];
  /** Echo full URIs ("https://graph.microsoft.com/User.Read") or bare names, as the client asked. */
  bare: boolean;
  raw: string;
}

export function splitScopes(raw: string | undefined): string[] {
  return (raw ?? "").split(/\s+/).filter(Boolean);
}

export function resolveScopes(store: TenantStore, raw: string | undefined): ResolvedScopes {
  const items = splitScopes(raw);
  if (items.length === 0) {
    throw new EntraError(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  }
  const oidc: string[] = [];
  let resource: ResourceDefinition | undefined;
  const names: string[] = [];
  let isDefault = false;
  let bare = false;
  for (const item of items) {
    const lower = item.toLowerCase();
    if ((OIDC_SCOPES as readonly string[]).includes(lower)) {
      if (!oidc.includes(lower)) oidc.push(lower);
      continue;
    }
    let res: ResourceDefinition | undefined;
    let name: string;
    const slash = item.lastIndexOf("/");
    if (slash < 0) {
      res = store.graph;
      name = item;
      bare = true;
    } else {
      const prefix = item.slice(0, slash);
      name = item.slice(slash + 1);
      res = store.resourceByIdentifier(prefix);
      if (!res) {
        throw new EntraError(
          400,
          "invalid_resource",
          500011,
          `The resource principal named ${prefix} was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        );
      }
    }
    if (resource && resource.appId !== res.appId) {
      throw new EntraError(
        400,
        "invalid_scope",
        28000,
        `Provided value for the input parameter scope '${raw ?? ""}' is not valid because it contains more than one resource. Scope ${raw ?? ""} is not valid.`,
      );
    }
    resource = res;
    if (name.toLowerCase() === ".default") {
      isDefault = true;
      continue;
    }
    const def = res.scopes.find((s) => s.value.toLowerCase() === name.toLowerCase());
    if (!def) {
      throw new EntraError(
        400,
        "invalid_scope",
        70011,
        `The provided value for the input parameter 'scope' is not valid. The scope '${item}' does not exist on the resource '${res.identifierUris[0] ?? res.appId}'.`,
      );
    }
    if (!names.includes(def.value)) names.push(def.value);
  }
  return { resource, names, isDefault, oidc, bare, raw: raw ?? "" };
}

/** The canonical full name Entra shows for a resource scope. */
export function fullScopeName(resource: ResourceDefinition, name: string): string {
  return `${resource.identifierUris[0] ?? resource.appId}/${name}`;
}

/** Formats granted scope names for a `scope` response field in the client's own style. */
export function formatScopes(resource: ResourceDefinition | undefined, names: string[], bare: boolean): string[] {
  if (!resource) return [];
  return names.map((n) => (bare && resource.appId === "00000003-0000-0000-c000-000000000000" ? n : fullScopeName(resource, n)));
}
