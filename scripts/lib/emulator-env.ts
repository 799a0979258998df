import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** The part of `.emulator/tenant.json` the app's configuration is built from. */
export interface EmulatorTenant {
  authorityHost: string;
  tenantId: string;
  secondTenantId?: string;
  caCertPath: string;
  graphBaseUrl: string;
  armBaseUrl: string;
  /** The emulated cloud and its Graph/ARM audiences (older tenant files lack them: public cloud). */
  cloud?: string;
  graphResource?: string;
  armResource?: string;
  managedIdentity?: { resource: string };
  /** The seeded authorization setup (older tenant files lack it). */
  authorization?: { directoryGroupId: string; authenticationContexts: { id: string }[] };
  apps: {
    spa: { clientId: string };
    api: { clientId: string; clientSecret: string; scope: string };
    web: { clientId: string; clientSecret: string };
    cli: { clientId: string };
  };
}

/**
 * The app's environment when it runs against the emulator: the same variables a real tenant
 * uses (so lib/config has one code path), plus IDENTITY_MODE=emulator. Variables that would
 * point the app elsewhere (a certificate, a managed identity, Redis) are blanked, because a
 * developer's .env.local must not leak into an emulator run.
 */
export function emulatorAppEnv(tenant: EmulatorTenant, sessionPassword: string): Record<string, string> {
  return {
    IDENTITY_MODE: "emulator",
    NODE_EXTRA_CA_CERTS: tenant.caCertPath,
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    AZURE_SPA_CLIENT_ID: tenant.apps.spa.clientId,
    AZURE_API_CLIENT_ID: tenant.apps.api.clientId,
    AZURE_API_SCOPE: tenant.apps.api.scope,
    AZURE_API_CLIENT_SECRET: tenant.apps.api.clientSecret,
    AZURE_API_CERTIFICATE_PATH: "",
    AZURE_API_MANAGED_IDENTITY_CLIENT_ID: "",
    AZURE_ALLOWED_TENANTS: [tenant.tenantId, tenant.secondTenantId].filter(Boolean).join(","),
    AZURE_WEB_CLIENT_ID: tenant.apps.web.clientId,
    AZURE_WEB_CLIENT_SECRET: tenant.apps.web.clientSecret,
    AZURE_CLI_CLIENT_ID: tenant.apps.cli.clientId,
    GRAPH_BASE_URL: tenant.graphBaseUrl,
    ARM_BASE_URL: tenant.armBaseUrl,
    ...emulatorCloudEnv(tenant),
    // The emulator answers revoked sessions with CAE claims challenges; the app handles them.
    AZURE_API_CLIENT_CAPABILITIES: "cp1",
    ...emulatorAuthorizationEnv(tenant),
    SESSION_PASSWORD: sessionPassword,
    REDIS_URL: "",
  };
}

/**
 * The app settings of a deployment whose "real tenant" is the emulator: what infra/main.bicep
 * gives App Service with the client-secret credential and one tenant, in tenant mode (no
 * IDENTITY_MODE, no control API, no tenant file): the emulator's URLs stand where Entra ID's,
 * Graph's and ARM's would. Empty settings are left out, as the Bicep template filters them.
 */
export function deployedAppSettings(tenant: EmulatorTenant, appBaseUrl: string, sessionPassword: string): Record<string, string> {
  const settings: Record<string, string> = {
    AZURE_TENANT_ID: tenant.tenantId,
    AZURE_AUTHORITY_HOST: tenant.authorityHost,
    AZURE_SPA_CLIENT_ID: tenant.apps.spa.clientId,
    AZURE_API_CLIENT_ID: tenant.apps.api.clientId,
    AZURE_API_SCOPE: tenant.apps.api.scope,
    AZURE_API_CLIENT_SECRET: tenant.apps.api.clientSecret,
    AZURE_WEB_CLIENT_ID: tenant.apps.web.clientId,
    AZURE_WEB_CLIENT_SECRET: tenant.apps.web.clientSecret,
    SESSION_PASSWORD: sessionPassword,
    APP_BASE_URL: appBaseUrl,
    TRUST_FORWARDED_HEADERS: "false",
    GRAPH_BASE_URL: tenant.graphBaseUrl,
    ARM_BASE_URL: tenant.armBaseUrl,
    ...emulatorCloudEnv(tenant),
    // Production must say it (lib/config); the infra default. The test user holds both roles.
    AZURE_APP_ROLES_ENFORCED: "true",
  };
  return Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== ""));
}

/**
 * Authorization as the emulator's tenant is set up for it: app roles enforced (its users hold
 * them; load users too), the directory view open to the seeded "Directory viewers" group as well
 * (so the 250-group user gets in only by overage resolution), and the subscriptions view behind
 * the home tenant's authentication context c1 (require MFA), so step-up is part of every run.
 */
export function emulatorAuthorizationEnv(tenant: Pick<EmulatorTenant, "authorization">): Record<string, string> {
  return {
    AZURE_APP_ROLES_ENFORCED: "true",
    AZURE_DIRECTORY_GROUP_IDS: tenant.authorization?.directoryGroupId ?? "",
    AZURE_SUBSCRIPTIONS_GROUP_IDS: "",
    AZURE_SUBSCRIPTIONS_AUTH_CONTEXT: tenant.authorization?.authenticationContexts[0]?.id ?? "",
    AZURE_DIRECTORY_AUTH_CONTEXT: "",
  };
}

/**
 * Scopes and the token-exchange audience for the emulated cloud. The app derives them from the
 * Graph/ARM/sign-in hosts, but the emulator serves every cloud from localhost: a national-cloud
 * emulator (EMULATOR_CLOUD=usgov) names them, as a deployment behind a proxy would.
 */
export function emulatorCloudEnv(tenant: Pick<EmulatorTenant, "cloud" | "graphResource" | "armResource" | "managedIdentity">): Record<string, string> {
  if (!tenant.cloud || tenant.cloud === "public" || !tenant.graphResource || !tenant.armResource || !tenant.managedIdentity) {
    return { GRAPH_SCOPES: "", ARM_SCOPES: "", AZURE_TOKEN_EXCHANGE_AUDIENCE: "" };
  }
  return {
    GRAPH_SCOPES: `${tenant.graphResource}/User.Read`,
    ARM_SCOPES: `${tenant.armResource}/user_impersonation`,
    AZURE_TOKEN_EXCHANGE_AUDIENCE: tenant.managedIdentity.resource,
  };
}

/**
 * A session password kept in the git-ignored state folder, so restarting `npm run dev` keeps
 * people signed in to the web app while every clone still gets its own random secret.
 */
export function localSessionPassword(stateDir: string): string {
  const file = path.join(stateDir, "session-password");
  if (existsSync(file)) {
    const saved = readFileSync(file, "utf8").trim();
    if (saved.length >= 32) return saved;
  }
  mkdirSync(stateDir, { recursive: true });
  const password = randomBytes(32).toString("base64url");
  writeFileSync(file, password, { mode: 0o600 });
  return password;
}
