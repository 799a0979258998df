// Public entry point of the identity emulator: startEmulator() for tests and
// launchers, ensureCertificates() for whoever must trust the CA first.
import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import { ensureCertificates, type CertificatePaths, type PemPair } from "./certs";
import { emulatorCloud, seedForCloud, type EmulatorCloudName } from "./clouds";
import type { EmulatorContext, Settings } from "./context";
import { Counters } from "./counters";
import { FaultInjector } from "./faults";
import { DEVICE_CODE_LIFETIME_S, GrantStore, SESSION_LIFETIME_S, SPA_REFRESH_LIFETIME_S } from "./grants";
import { checkMicrosoftHostsCertificate, HostRouter, microsoftHostNames } from "./hosts";
import { KeyManager } from "./keys";
import { NextLinkOverrides } from "./next-links";
import { managedIdentityResourceId } from "./routes/msi";
import { createEmulatorServer } from "./server";
import { TenantStore } from "./tenant-store";
import type { TenantAuthorizationDescription, TenantDescription } from "./types";

export { ensureCertificates, microsoftHostNames };
export { createNameConstrainedCa, issueServerCertificate } from "./certs";
export type { CertificatePaths, PemPair, TenantDescription };
export type { EmulatorCloudName } from "./clouds";
export type { TenantUserDescription } from "./types";

export interface StartEmulatorOptions {
  /** 0 = any free port. Default: EMULATOR_PORT or 8443. */
  port?: number;
  /** Certificates and tenant.json live here. Default: <repo>/.emulator */
  stateDir?: string;
  /** Default: EMULATOR_TENANT_FILE or <stateDir>/tenant.json (written on start). */
  tenantFile?: string;
  /** Default: EMULATOR_APP_ORIGINS (comma separated) or http://localhost:3000. */
  appOrigins?: string[];
  /**
   * The app origin whose front-channel logout URL the web app registration holds (Entra registers
   * one per app). Default: EMULATOR_FRONT_CHANNEL_LOGOUT_ORIGIN or the first app origin.
   */
  frontChannelLogoutOrigin?: string;
  /** Seed data. Default: emulator/tenant-data.json */
  dataFile?: string;
  /** Device-code polling interval announced to clients. Default: EMULATOR_DEVICE_CODE_INTERVAL or 5. */
  deviceCodeIntervalSeconds?: number;
  /** Access-token lifetime. Default 3600 (changeable at run time through the control API). */
  tokenLifetimeSeconds?: number;
  /** The Microsoft cloud to emulate (Graph/ARM/token-exchange audiences). Default: EMULATOR_CLOUD or "public". */
  cloud?: EmulatorCloudName;
  /**
   * A TLS certificate (and key) for the cloud's own host names, `microsoftHostNames(cloud)`: with
   * it the emulator also answers as login.microsoftonline.com, graph.microsoft.com and
   * management.azure.com (or the cloud's), with their real paths, to clients that reach this port
   * under those names. Test harnesses only: a per-run CA that nothing else trusts
   * (scripts/lib/microsoft-hosts.ts). Without it those names are refused.
   */
  microsoftHosts?: PemPair;
}

export interface RunningEmulator {
  tenant: TenantDescription;
  url: string;
  /** Absolute path of the tenant.json written on start. */
  tenantFile: string;
  close(): Promise<void>;
}

/** The repository root: the parent of this folder (cwd when loaded as ESM). */
function repoRoot(): string {
  return typeof __dirname !== "undefined" ? path.resolve(__dirname, "..") : process.cwd();
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  if (process.env.NODE_ENV === "production") {
    throw new Error("The identity emulator is for development and tests only and refuses to run with NODE_ENV=production.");
  }
  const stateDir = path.resolve(opts.stateDir ?? path.join(repoRoot(), ".emulator"));
  const tenantFile = path.resolve(opts.tenantFile ?? process.env.EMULATOR_TENANT_FILE ?? path.join(stateDir, "tenant.json"));
  const appOrigins = (
    opts.appOrigins ??
    (process.env.EMULATOR_APP_ORIGINS ? process.env.EMULATOR_APP_ORIGINS.split(",") : ["http://localhost:3000"])
  )
    .map((o) => o.trim().replace(/\/+$/, ""))
    .filter(Boolean);
  for (const o of appOrigins) {
    const u = new URL(o);
    if (u.origin !== o) throw new Error(`app origin '${o}' must be a bare origin like http://localhost:3000`);
  }
  const frontChannelLogoutOrigin = (opts.frontChannelLogoutOrigin ?? process.env.EMULATOR_FRONT_CHANNEL_LOGOUT_ORIGIN ?? appOrigins[0] ?? "").replace(/\/+$/, "");
  if (!appOrigins.includes(frontChannelLogoutOrigin)) {
    throw new Error(`frontChannelLogoutOrigin (EMULATOR_FRONT_CHANNEL_LOGOUT_ORIGIN) '${frontChannelLogoutOrigin}' must be one of the app origins: ${appOrigins.join(", ")}`);
  }
  const port = opts.port ?? envNumber("EMULATOR_PORT") ?? 8443;
  const dataFile = path.resolve(opts.dataFile ?? path.join(repoRoot(), "emulator", "tenant-data.json"));

  const cloud = emulatorCloud(opts.cloud ?? process.env.EMULATOR_CLOUD);
  const certs = await ensureCertificates(stateDir);
  const seed = seedForCloud(TenantStore.loadSeed(dataFile), cloud);
  const store = new TenantStore({ seed, appOrigins, frontChannelLogoutOrigin, apiClientCertPem: readFileSync(certs.apiClientCertPath, "utf8") });
  const keys = await KeyManager.load(certs.signingCertPath, certs.signingKeyPath);
  const defaults: Settings = {
    tokenLifetimeSeconds: opts.tokenLifetimeSeconds ?? 3600,
    deviceCodeIntervalSeconds: opts.deviceCodeIntervalSeconds ?? envNumber("EMULATOR_DEVICE_CODE_INTERVAL") ?? 5,
    deviceCodeLifetimeSeconds: DEVICE_CODE_LIFETIME_S,
    spaRefreshTokenLifetimeSeconds: SPA_REFRESH_LIFETIME_S,
    sessionLifetimeSeconds: SESSION_LIFETIME_S,
  };
  if (opts.microsoftHosts) checkMicrosoftHostsCertificate(opts.microsoftHosts.certPem, cloud.name);
  const allGrants: GrantStore[] = [];
  const ctx: EmulatorContext = {
    baseUrl: "https://localhost",
    graphBaseUrl: "https://localhost/graph/v1.0",
    armBaseUrl: "https://localhost/arm",
    store,
    keys,
    grants: new GrantStore(),
    allGrants,
    counters: new Counters(),
    faults: new FaultInjector(),
    nextLinks: new NextLinkOverrides(),
    settings: { ...defaults },
    defaultSettings: defaults,
    mfaRequired: new Set(),
    controlSecret: randomBytes(24).toString("base64url"),
    managedIdentityHeader: randomBytes(24).toString("base64url"),
    certs,
    cloud,
  };
  const [key, cert] = await Promise.all([fs.readFile(certs.serverKeyPath, "utf8"), fs.readFile(certs.serverCertPath, "utf8")]);
  const router = new HostRouter(ctx, Boolean(opts.microsoftHosts));
  allGrants.push(...router.grantStores);
  const server = createEmulatorServer(
    ctx,
    router,
    { key, cert },
    opts.microsoftHosts ? { names: microsoftHostNames(cloud.name), tls: { key: opts.microsoftHosts.keyPem, cert: opts.microsoftHosts.certPem } } : undefined,
  );
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(err.code === "EADDRINUSE" ? new Error(`port ${port} is already in use (set EMULATOR_PORT or pass port: 0)`) : err);
    };
    server.once("error", onError);
    // Loopback only: this server hands out tokens to anyone who asks.
    server.listen(port, "127.0.0.1", () => {
      server.off("error", onError);
      resolve();
    });
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  ctx.baseUrl = `https://localhost:${actualPort}`;
  ctx.graphBaseUrl = `${ctx.baseUrl}/graph/v1.0`;
  ctx.armBaseUrl = `${ctx.baseUrl}/arm`;

  const tenant = describeTenant(ctx, certs, Boolean(opts.microsoftHosts));
  await fs.mkdir(path.dirname(tenantFile), { recursive: true });
  const tmp = `${tenantFile}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(tenant, null, 2)}\n`, { mode: 0o600 });
  await fs.rename(tmp, tenantFile);

  let closed: Promise<void> | undefined;
  return {
    tenant,
    url: ctx.baseUrl,
    tenantFile,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const grants of allGrants) grants.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** The API's user roles, the directory group and the home tenant's authentication contexts (launchers configure the app from them). */
function describeAuthorization(ctx: EmulatorContext): TenantAuthorizationDescription {
  const api = ctx.store.app("api");
  const roles = (ctx.store.seed.apps.api.exposes?.appRoles ?? []).filter((r) => r.allowedMemberTypes.includes("User"));
  const directoryGroup = (ctx.store.seed.groups ?? []).find((g) => g.tenantId === ctx.store.primaryTenant.id && g.displayName === "Directory viewers");
  if (!directoryGroup) throw new Error(`seed data: the home tenant needs the "Directory viewers" group (the directory view's group for ${api.displayName})`);
  return {
    appRoles: roles.map((r) => ({ value: r.value, displayName: r.displayName, description: r.description })),
    directoryGroupId: directoryGroup.id,
    authenticationContexts: ctx.store.authenticationContexts(ctx.store.primaryTenant.id).map((c) => ({ id: c.id, displayName: c.displayName })),
  };
}

function describeTenant(ctx: EmulatorContext, certs: CertificatePaths, microsoftHosts: boolean): TenantDescription {
  const b = ctx.baseUrl;
  const primary = ctx.store.primaryTenant;
  const second = ctx.store.tenants[1] ?? primary;
  const spa = ctx.store.app("spa");
  const api = ctx.store.app("api");
  const web = ctx.store.app("web");
  const cli = ctx.store.app("cli");
  if (!api.clientSecret || !web.clientSecret || !api.certificate) throw new Error("seed data: api/web apps need secrets and the api a certificate");
  return {
    authority: `${b}/${primary.id}`,
    authorityHost: b,
    issuer: `${b}/${primary.id}/v2.0`,
    tenantId: primary.id,
    secondTenantId: second.id,
    tenants: ctx.store.tenants.map((t) => ({ id: t.id, displayName: t.displayName, domain: t.domain })),
    caCertPath: certs.caCertPath,
    graphBaseUrl: ctx.graphBaseUrl,
    armBaseUrl: ctx.armBaseUrl,
    control: { url: `${b}/_control`, secret: ctx.controlSecret },
    managedIdentity: {
      endpoint: `${b}/msi/token`,
      header: ctx.managedIdentityHeader,
      objectId: ctx.store.seed.managedIdentity.objectId,
      clientId: ctx.store.seed.managedIdentity.clientId,
      resourceId: managedIdentityResourceId(ctx),
      resource: ctx.cloud.tokenExchangeAudience,
    },
    apps: {
      spa: {
        clientId: spa.clientId,
        redirectUris: spa.redirects.filter((r) => r.platform === "spa").map((r) => r.uri),
        // Entra's rule: a post-logout redirect URI is any registered redirect URI.
        postLogoutRedirectUris: spa.redirects.map((r) => r.uri),
        signInAudience: spa.signInAudience,
      },
      api: {
        clientId: api.clientId,
        redirectUris: api.redirects.filter((r) => r.platform === "web").map((r) => r.uri),
        signInAudience: api.signInAudience,
        clientSecret: api.clientSecret,
        appIdUri: `api://${api.clientId}`,
        scope: `api://${api.clientId}/access_as_user`,
        certificate: {
          thumbprint: api.certificate.sha1,
          thumbprintSha256: api.certificate.sha256,
          privateKeyPath: certs.apiClientKeyPath,
          certificatePath: certs.apiClientCertPath,
        },
      },
      web: {
        clientId: web.clientId,
        clientSecret: web.clientSecret,
        redirectUris: web.redirects.filter((r) => r.platform === "web").map((r) => r.uri),
        postLogoutRedirectUris: web.redirects.map((r) => r.uri),
        signInAudience: web.signInAudience,
        frontChannelLogoutUrls: web.frontChannelLogoutUrl ? [web.frontChannelLogoutUrl] : [],
        ...(web.frontChannelLogoutUrl ? { frontChannelLogoutUrl: web.frontChannelLogoutUrl } : {}),
      },
      cli: { clientId: cli.clientId, signInAudience: cli.signInAudience },
    },
    // Accounts that sign in: a guest object is listed under its home account (guestIn).
    users: ctx.store.seed.users
      .filter((u) => !u.guestOf)
      .map((u) => {
        const appRoles = ctx.store.userAppRoles(u, api.clientId);
        const groupCount = ctx.store.transitiveGroupsOf(u.id).length;
        const guestIn = ctx.store.guestObjectsOf(u).map((g) => ({ tenantId: g.tenantId, oid: g.id, userPrincipalName: g.userPrincipalName }));
        return {
          username: u.userPrincipalName,
          password: u.password,
          displayName: u.displayName,
          oid: u.id,
          tenantId: u.tenantId,
          requiresMfa: Boolean(u.requiresMfa),
          // Any user may be asked for a code: MFA users always, everyone at an authentication context (c1).
          mfaCode: "123456",
          ...(u.roles?.length ? { roles: [...u.roles] } : {}),
          ...(appRoles.length ? { appRoles } : {}),
          ...(groupCount ? { groupCount } : {}),
          ...(guestIn.length ? { guestIn } : {}),
        };
      }),
    authorization: describeAuthorization(ctx),
    cloud: ctx.cloud.name,
    graphResource: ctx.cloud.graph,
    armResource: ctx.cloud.arm,
    ...(microsoftHosts
      ? {
          microsoftHosts: {
            authorityHost: `https://${ctx.cloud.hosts.login}`,
            graphBaseUrl: `https://${ctx.cloud.hosts.graph}/v1.0`,
            armBaseUrl: `https://${ctx.cloud.hosts.arm}`,
            names: microsoftHostNames(ctx.cloud.name),
          },
        }
      : {}),
  };
}
