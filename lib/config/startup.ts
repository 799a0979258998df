import { ConfigError } from "./errors";
import { loadConfig } from "./index";

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
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
