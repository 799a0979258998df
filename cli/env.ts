/**
 * The CLI's own environment variables.
 *
 * Why the CLI does not simply call `parseConfig` from lib/config: that validates the whole web app
 * (SPA and API registrations, session password, API credential), none of which a terminal user of
 * the CLI has or needs. The CLI needs four tenant values (AZURE_TENANT_ID, AZURE_CLI_CLIENT_ID,
 * AZURE_AUTHORITY_HOST, GRAPH_BASE_URL — the same names lib/config uses, validated the same way in
 * settings.ts; AZURE_ALLOWED_TENANTS, when it lists other tenants, moves sign-in to organizations)
 * plus the few CLI-only values below.
 *
 * Nothing in cli/ reads `process.env`: main.ts loads .env files, takes one snapshot of the
 * environment and passes it down as a plain object, so tests inject any environment they like.
 */
export const CLI_ENV = {
  /** Password for the users (ROPC) command; when unset the CLI prompts without echo on a TTY. */
  password: "CLI_PASSWORD",
  /** Folder for the persistent token cache; tests point it at a temporary folder. */
  cacheDir: "CLI_CACHE_DIR",
  /** The emulator's tenant.json (the same variable name the emulator writes it to). */
  tenantFile: "EMULATOR_TENANT_FILE",
} as const;

export type Env = Readonly<Record<string, string | undefined>>;
