import { ConfigError } from "./errors";
import { getConfig } from "./index";

/** Validates the configuration at server start; on failure prints the problems and exits. */
export function exitOnInvalidConfig(): void {
  try {
    const config = getConfig();
    console.info(
      `[config] identity: ${config.mode === "emulator" ? "local identity emulator" : "Microsoft Entra ID"} at ${config.authority}` +
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
