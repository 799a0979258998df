import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig, type AppConfig } from "@/lib/config";

/** The parts of the emulator's tenant description (`.emulator/tenant.json`) the app config needs. */
export interface EmulatorTenantLike {
  tenantId: string;
  authorityHost: string;
  graphBaseUrl: string;
  armBaseUrl: string;
  cloud?: string;
  graphResource?: string;
  armResource?: string;
  managedIdentity: { endpoint: string; header: string; clientId: string; resource?: string };
  apps: {
    spa: { clientId: string };
    api: {
      clientId: string;
      clientSecret: string;
      scope: string;
      certificate: { privateKeyPath: string; certificatePath: string };
    };
    web: { clientId: string; clientSecret: string };
    cli: { clientId: string };
  };
}

export type EmulatorCredential = "secret" | "certificate" | "managedIdentity";

/** A 32+ character test-only secret (session cookies, cache encryption). */
export const TEST_SECRET = "test-only-secret-0123456789abcdefghijklmnop";

/**
 * The environment `npm run dev` would give the app for this emulator tenant, as variables, so
 * tests can both parse it (emulatorConfig) and install it in process.env for code that calls
 * getConfig() (route handlers, proxy.ts). `overrides` wins; an undefined value removes a variable.
 */
export function emulatorEnv(
  tenant: EmulatorTenantLike,
  options: { credential?: EmulatorCredential; overrides?: Record<string, string | undefined> } = {},
): Record<string, string> {
  const env: Record<string, string | undefined> = {
    IDENTITY_MODE: "emulator",
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    AZURE_SPA_CLIENT_ID: tenant.apps.spa.clientId,
    AZURE_API_CLIENT_ID: tenant.apps.api.clientId,
    AZURE_API_SCOPE: tenant.apps.api.scope,
    AZURE_WEB_CLIENT_ID: tenant.apps.web.clientId,
    AZURE_WEB_CLIENT_SECRET: tenant.apps.web.clientSecret,
    AZURE_CLI_CLIENT_ID: tenant.apps.cli.clientId,
    GRAPH_BASE_URL: tenant.graphBaseUrl,
    ARM_BASE_URL: tenant.armBaseUrl,
    SESSION_PASSWORD: TEST_SECRET,
  };
  // A national-cloud emulator (EMULATOR_CLOUD=usgov) serves from localhost, so the app cannot derive
  // that cloud's audiences from hosts: name them, as a deployment behind a proxy would.
  if (tenant.cloud && tenant.cloud !== "public" && tenant.graphResource && tenant.armResource && tenant.managedIdentity.resource) {
    env.GRAPH_SCOPES = `${tenant.graphResource}/User.Read`;
    env.ARM_SCOPES = `${tenant.armResource}/user_impersonation`;
    env.AZURE_TOKEN_EXCHANGE_AUDIENCE = tenant.managedIdentity.resource;
  }
  switch (options.credential ?? "secret") {
    case "secret":
      env.AZURE_API_CLIENT_SECRET = tenant.apps.api.clientSecret;
      break;
    case "certificate":
      env.AZURE_API_CERTIFICATE_PATH = combinedCertificatePem(tenant);
      break;
    case "managedIdentity":
      // The web app's user-assigned identity (a system-assigned one cannot be a federated credential).
      env.AZURE_API_MANAGED_IDENTITY_CLIENT_ID = tenant.managedIdentity.clientId;
      env.IDENTITY_ENDPOINT = tenant.managedIdentity.endpoint;
      env.IDENTITY_HEADER = tenant.managedIdentity.header;
      break;
  }
  Object.assign(env, options.overrides);
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** A validated AppConfig for the emulator tenant (same variables as emulatorEnv). */
export function emulatorConfig(
  tenant: EmulatorTenantLike,
  options: { credential?: EmulatorCredential; overrides?: Record<string, string | undefined> } = {},
): AppConfig {
  return parseConfig(emulatorEnv(tenant, options));
}

/** The config parser wants one PEM with certificate and key; the emulator ships two files. */
function combinedCertificatePem(tenant: EmulatorTenantLike): string {
  const dir = mkdtempSync(join(tmpdir(), "api-cert-"));
  const path = join(dir, "api-certificate.pem");
  const { certificatePath, privateKeyPath } = tenant.apps.api.certificate;
  writeFileSync(path, `${readFileSync(certificatePath, "utf8").trim()}\n${readFileSync(privateKeyPath, "utf8").trim()}\n`, { mode: 0o600 });
  return path;
}

/**
 * Replaces process.env's app variables with `env` for the duration of a test file; returns a
 * restore function. (Only tests write process.env; app code reads it only through lib/config.)
 */
export function installEnv(env: Record<string, string>): () => void {
  const saved = { ...process.env };
  for (const key of Object.keys(process.env)) {
    if (/^(IDENTITY_|AZURE_|GRAPH_|ARM_|SESSION_|REDIS_|TOKEN_CACHE_|DOWNSTREAM_)/.test(key)) delete process.env[key];
  }
  Object.assign(process.env, env);
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  };
}
