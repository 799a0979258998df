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

/**
 * An app role of a registration (manifest `appRoles`): `value` is what tokens carry in `roles`;
 * `allowedMemberTypes` says who may be assigned it ("User" covers users and groups, "Application"
 * client applications).
 */
export interface SeedAppRole {
  id: string;
  value: string;
  displayName: string;
  description: string;
  allowedMemberTypes: ("User" | "Application")[];
}

/**
 * Which groups go into a registration's tokens (manifest `groupMembershipClaims`): tokens issued
 * FOR the app (access tokens when it is the resource, ID tokens when it is the client).
 */
export type GroupMembershipClaims = "None" | "SecurityGroup" | "ApplicationGroup" | "All";

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
  exposes?: { scopes: SeedScope[]; appRoles: SeedAppRole[] };
  /** Groups in this app's tokens (default "None", as a new Entra registration). */
  groupMembershipClaims?: GroupMembershipClaims;
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
  /**
   * A B2B guest: this is the object in `tenantId` (the resource tenant) that stands for the user
   * with this id in their own (home) tenant. The guest signs in with the home account's name and
   * password; it has no password of its own.
   */
  guestOf?: string;
  /** Graph's `userType`: "Guest" for guests, default "Member". */
  userType?: "Member" | "Guest";
}

/** A security group (Graph `group` with securityEnabled). `members`: user ids and group ids (nested). */
export interface SeedGroup {
  id: string;
  tenantId: string;
  displayName: string;
  description?: string;
  members: string[];
}

/**
 * Many groups of one shape, written out by the store: ids are deterministic from `idSeed` and the
 * number, names `displayName` with `{n}` replaced by 001, 002, ... (the 250-group user's groups).
 */
export interface SeedGroupSeries {
  idSeed: string;
  tenantId: string;
  displayName: string;
  count: number;
  members: string[];
}

/**
 * App role assignments to users and groups (an enterprise application's "Users and groups"): each
 * principal holds `roles` of `resource` (an App ID URI or app id) in the principal's own tenant.
 * Group assignments reach the group's DIRECT members only, as in Entra.
 */
export interface SeedPrincipalRoleAssignment {
  resource: string;
  roles: string[];
  users?: string[];
  groups?: string[];
}

/** A Conditional Access authentication context of a tenant, and the policy protecting it. */
export interface SeedAuthenticationContext {
  tenantId: string;
  /** "c1" ... "c99" (Entra: c1–c99, case-insensitive; tokens carry the lower-case id). */
  id: string;
  displayName: string;
  /** What the policy demands; "mfa" = a multi-factor sign-in. */
  requires: "mfa";
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
  groups?: SeedGroup[];
  groupSeries?: SeedGroupSeries[];
  principalRoleAssignments?: SeedPrincipalRoleAssignment[];
  /** Groups every synthetic load user of that group's tenant joins (so load users can use every view). */
  loadUserGroups?: string[];
  authenticationContexts?: SeedAuthenticationContext[];
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
  /** Groups in the ID tokens this app receives (manifest groupMembershipClaims). */
  groupMembershipClaims: GroupMembershipClaims;
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
  /** User-assignable app roles (values), for `roles` in user tokens. */
  userRoles?: string[];
  /** Groups in access tokens for this resource (the registration's groupMembershipClaims). */
  groupMembershipClaims?: GroupMembershipClaims;
}

export type User = SeedUser;
export type Group = SeedGroup;

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
  /**
   * The code to type when a verification code (MFA) is asked for; any 6 digits work. Every user
   * may be asked: Conditional Access authentication contexts (c1 = MFA) step any user up.
   */
  mfaCode?: string;
  /** The API's app roles the user holds (directly or through a group), e.g. ["Subscriptions.Read"]. */
  appRoles?: string[];
  /** Security groups the user is a member of (directly or nested), when any. */
  groupCount?: number;
  /** B2B: the guest objects that stand for this user in other tenants. */
  guestIn?: { tenantId: string; oid: string; userPrincipalName: string }[];
}

/** The authorization setup the app's launchers configure from (tenant.json `authorization`). */
export interface TenantAuthorizationDescription {
  /** The API's user-assignable app roles. */
  appRoles: { value: string; displayName: string; description: string }[];
  /** The seeded security group whose members may use the directory view (AZURE_DIRECTORY_GROUP_IDS). */
  directoryGroupId: string;
  /** Authentication contexts of the home tenant (c1 = require MFA). */
  authenticationContexts: { id: string; displayName: string }[];
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
  authorization: TenantAuthorizationDescription;
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

/** A resource that sends continuous access evaluation challenges. */
export type CaeTarget = "graph" | "arm";

/** A user's session revoked as a resource sees it (control API fault; shared by cae.ts and faults.ts). */
export interface SessionRevocation {
  target: CaeTarget;
  mode: "session_revoked";
  username: string;
  userOid: string;
  /** Seconds since the epoch; tokens issued before it are revoked. */
  revokedAt: number;
  /** The user's sign-in sessions and refresh tokens were revoked too (revokeSignInSessions). */
  signOut: boolean;
}
