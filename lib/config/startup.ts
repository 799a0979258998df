import { ConfigError } from "./errors";
import { loadConfig } from "./index";
import type { AppConfig } from "./types";

/**
 * Validates the configuration at server start (and resolves a domain in AZURE_TENANT_ID to the
 * tenant's GUID); on failure prints the problems, never a stack trace, and exits.
 */
export async function exitOnInvalidConfig(): Promise<void> {
  try {
    const config = await loadConfig();
    console.info(
      `[config] identity: ${config.mode === "emulator" ? "local identity emulator" : "Microsoft Entra ID"} at ${config.authority}` +
        (config.tenantDomain ? ` (AZURE_TENANT_ID ${config.tenantDomain} is tenant ${config.tenantId})` : "") +
        (config.signInAuthority !== config.authority ? `; users sign in at ${config.signInAuthority} (tenants allowed: ${config.allowedTenants.length})` : ""),
    );
    console.info(`[config] authorization: ${describeAuthorization(config)}`);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

/** One line: who may use which view, naming the variables that decide it. */
export function describeAuthorization(config: Pick<AppConfig, "authorization">): string {
  const { rolesEnforced, views } = config.authorization;
  const parts = (Object.keys(views) as (keyof typeof views)[]).map((name) => {
    const v = views[name];
    const variable = `AZURE_${name.toUpperCase()}`;
    const who = !rolesEnforced
      ? "every signed-in user"
      : `app role ${v.role}${v.groupIds.length ? ` or ${v.groupIds.length} group${v.groupIds.length === 1 ? "" : "s"} (${variable}_GROUP_IDS)` : ""}`;
    return `${name}: ${who}${v.authContext ? `, authentication context ${v.authContext} (${variable}_AUTH_CONTEXT)` : ""}`;
  });
  return `app roles ${rolesEnforced ? "enforced" : "NOT enforced"} (AZURE_APP_ROLES_ENFORCED=${rolesEnforced}); ${parts.join("; ")}`;
}
