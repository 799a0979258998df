// Shared shapes of the identity emulator: the seed file, the runtime model and
// the public tenant description (tenant.json). Kept in one place so the route
// modules never need `any` to talk to each other.

export type AppKey = "spa" | "api" | "web" | "cli";

// ---------- seed file (emulator/tenant-data.json) ----------

export interface SeedTenant {
  id: string;
  displayName: string;
  domain: string;
  /**
   * Entra's "User consent for applications" setting: false = "Do not allow user consent", so
   * every consent prompt becomes "Need admin approval" (AADSTS90094). Default true.
   */
  usersMayConsent?: boolean;
}

/** Entra's signInAudience values the emulator supports (work and school accounts only). */
export type SignInAudience = "AzureADMyOrg" | "AzureADMultipleOrgs";

/** An API's `preAuthorizedApplications` entry: the client, and the API's own scopes it may use without consent. */
export interface PreAuthorizedApplication {
  appId: string;
  /** Scope values of the exposing app, e.g. ["access_as_user"]. */
  scopes: string[];
}

export interface SeedScope {
  value: string;
  description: string;
  adminConsentRequired?: boolean;
}

export interface SeedResource {
  appId: string;
  displayName: string;
  /** First entry is the canonical one (used when echoing full scope names). */
  identifierUris: string[];
  tokenAudience: string;
  scopes: SeedScope[];
  appRoles: string[];
  /** Optional access-token claims the resource asked for (app registration "Token configuration"). */
  optionalClaims?: string[];
  /** The format of its access tokens (manifest accessTokenAcceptedVersion): 1 for Graph and ARM. Default 2. */
  accessTokenAcceptedVersion?: 1 | 2;
}

export interface SeedFederatedCredential {
  name: string;
  subject: string;
  audiences: string[];
}

export interface SeedApp {
  clientId: string;
  displayName: string;
  homeTenantId: string;
  publicClient: boolean;
  clientSecret?: string;
  certificateCredential?: boolean;
  spaRedirectPaths?: string[];
  webRedirectPaths?: string[];
  /**
   * Path of the app's front-channel logout URL. Entra registers one "Front-channel logout URL" per
   * app: the emulator puts this path on one app origin (startEmulator's frontChannelLogoutOrigin).
   * Post-logout redirect URIs have no list of their own: like Entra, `post_logout_redirect_uri`
   * must be one of the redirect URIs above.
   */
  frontChannelLogoutPath?: string;
  nativeRedirects?: string[];
  exposes?: { scopes: SeedScope[]; appRoles: string[] };
  federatedCredentials?: SeedFederatedCredential[];
  /** Optional access-token claims, e.g. ["xms_cc"] (Token configuration > Add optional claim). */
  optionalClaims?: string[];
  /**
   * Optional ID-token claims the registration asks for (Token configuration > Add optional claim >
   * ID): `sid` (per-session sign-out: front-channel logout) and `login_hint` (the opaque hint that
   * `logout_hint` must carry). Not requested = not in the ID token, as with Entra.
   */
  idTokenOptionalClaims?: string[];
  /**
   * Clients whose consent prompt also covers this app's own permissions (Entra's "combined
   * consent"): a SPA asking for `api://<this app>/.default` consents to what the API calls OBO.
   */
  knownClientApplications?: string[];
  /** Default "AzureADMyOrg" (single tenant), as in a new Entra registration. */
  signInAudience?: SignInAudience;
  /**
   * Configured permissions (the portal's "API permissions", `requiredResourceAccess`): full
   * delegated scope names. What `.default`, combined consent and admin consent consent to.
   */
  requiredResourceAccess?: string[];
  /** Clients that may use some of this app's scopes without any consent prompt. */
  preAuthorizedApplications?: PreAuthorizedApplication[];
}

export interface SeedUser {
  id: string;
  tenantId: string;
  userPrincipalName: string;
  password: string;
  displayName: string;
  givenName: string | null;
  surname: string | null;
  jobTitle: string | null;
  department: string | null;
  officeLocation: string | null;
  mail: string | null;
  businessPhones: string[];
  mobilePhone: string | null;
  preferredLanguage: string | null;
  managerId?: string;
  requiresMfa?: boolean;
  hasPhoto?: boolean;
  /** Directory roles; "Global Administrator" may grant tenant-wide (admin) consent. */
  roles?: string[];
}

export interface SeedSubscription {
  subscriptionId: string;
  tenantId: string;
  displayName: string;
  state: string;
}

export interface SeedData {
  tenants: SeedTenant[];
  resources: SeedResource[];
  apps: Record<AppKey, SeedApp>;
  /** Tenant-wide (admin) grants; `tenantId` defaults to the client's home tenant. */
  consents: { clientId: string; tenantId?: string; scopes: string[] }[];
  appRoleAssignments: { clientId: string; resource: string; roles: string[] }[];
  /**
   * The web app's user-assigned managed identity (App Service has no system-assigned one here):
   * `name` and `resourceGroup` form its Azure resource id (the endpoint's `mi_res_id`).
   */
  managedIdentity: { objectId: string; clientId: string; displayName: string; name: string; resourceGroup: string };
  mfaPolicy: { policyId: string; displayName: string; resources: string[] };
  users: SeedUser[];
  subscriptions: SeedSubscription[];
}

// ---------- runtime model ----------

export type Platform = "spa" | "web" | "native";

export interface RedirectRegistration {
  uri: string;
  platform: Platform;
}

export interface AppRegistration {
  key: AppKey;
  clientId: string;
  displayName: string;
  homeTenantId: string;
  publicClient: boolean;
  clientSecret?: string;
  /** SHA-1 and SHA-256 thumbprints (hex, upper case) of the registered certificate. */
  certificate?: { sha1: string; sha256: string; publicKeyPem: string };
  redirects: RedirectRegistration[];
  /** The app's one front-channel logout URL (Entra's logoutUrl), whatever origin it signed in from. */
  frontChannelLogoutUrl?: string;
  federatedCredentials: SeedFederatedCredential[];
  knownClientApplications: string[];
  servicePrincipalId: string;
  signInAudience: SignInAudience;
  /** Full scope names, lower-case resource ids resolved at use. */
  requiredResourceAccess: string[];
  preAuthorizedApplications: PreAuthorizedApplication[];
  /** Optional ID-token claims: "sid", "login_hint". */
  idTokenOptionalClaims: string[];
}

/** Something that can be the audience of a token: Graph, ARM or one of our apps. */
export interface ResourceDefinition {
  appId: string;
  displayName: string;
  identifierUris: string[];
  tokenAudience: string;
  scopes: SeedScope[];
  appRoles: string[];
  /** Optional claims its access tokens may carry when requested, e.g. xms_cc. */
  optionalClaims?: string[];
  /** 1: v1.0 access tokens (Graph, ARM); 2 or unset: v2.0 (our API: accessTokenAcceptedVersion 2). */
  accessTokenAcceptedVersion?: 1 | 2;
}

export type User = SeedUser;

// ---------- public tenant description (tenant.json) ----------

export interface TenantUserDescription {
  username: string;
  password: string;
  displayName: string;
  oid: string;
  tenantId: string;
  requiresMfa: boolean;
  /** Directory roles, e.g. ["Global Administrator"] for users who may grant admin consent. */
  roles?: string[];
  /** Only present for users that may be asked for a verification code; any 6 digits work. */
  mfaCode?: string;
}

export interface TenantDescription {
  authority: string;
  authorityHost: string;
  issuer: string;
  tenantId: string;
  secondTenantId: string;
  /** Every emulated tenant, home tenant first (the third is on no allow-list by default). */
  tenants: { id: string; displayName: string; domain: string }[];
  caCertPath: string;
  graphBaseUrl: string;
  armBaseUrl: string;
  control: { url: string; secret: string };
  /**
   * App Service's managed identity endpoint and the web app's user-assigned identity: requests
   * must name it (`client_id`, `object_id`/`principal_id` or `mi_res_id`).
   */
  managedIdentity: { endpoint: string; header: string; objectId: string; clientId: string; resourceId: string; resource: string };
  apps: {
    spa: { clientId: string; redirectUris: string[]; postLogoutRedirectUris: string[]; signInAudience?: SignInAudience };
    api: {
      clientId: string;
      /** Where the admin-consent endpoint returns to (web platform). */
      redirectUris?: string[];
      signInAudience?: SignInAudience;
      clientSecret: string;
      appIdUri: string;
      scope: string;
      certificate: {
        thumbprint: string;
        thumbprintSha256: string;
        privateKeyPath: string;
        certificatePath: string;
      };
    };
    web: {
      clientId: string;
      clientSecret: string;
      redirectUris: string[];
      postLogoutRedirectUris: string[];
      signInAudience?: SignInAudience;
      /** The registration's front-channel logout URL, as a one-element list (empty when it has none). */
      frontChannelLogoutUrls: string[];
      /** The registration's one front-channel logout URL (Entra registers one per app). */
      frontChannelLogoutUrl?: string;
    };
    cli: { clientId: string; signInAudience?: SignInAudience };
  };
  users: TenantUserDescription[];
  /** The emulated cloud ("public", "usgov", "china") and its Graph/ARM token audiences (scope prefixes). */
  cloud: string;
  graphResource: string;
  armResource: string;
  /**
   * Present when the emulator also answers at the cloud's own host names (given a certificate for
   * them): the URLs a production configuration uses, and every name a client must map to this port.
   */
  microsoftHosts?: { authorityHost: string; graphBaseUrl: string; armBaseUrl: string; names: string[] };
}
