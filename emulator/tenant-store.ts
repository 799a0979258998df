// The directory: tenants, users, app registrations, resources (Graph, ARM and
// our API), consent grants, app-role assignments and subscriptions. Built from
// the seed file; `reset()` brings every mutable part back to the seed state.
import { createHash } from "node:crypto";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type {
  AppKey,
  AppRegistration,
  Group,
  GroupMembershipClaims,
  PreAuthorizedApplication,
  RedirectRegistration,
  ResourceDefinition,
  SeedAuthenticationContext,
  SeedData,
  SeedTenant,
  SignInAudience,
  User,
} from "./types";

export const OIDC_SCOPES = ["openid", "profile", "offline_access", "email"] as const;
/** Azure Resource Manager ("Windows Azure Service Management API"), the same app id in every cloud. */
export const ARM_APP_ID = "797f4846-ba00-4fd7-ba43-dac1f8f63013";

export interface StoreOptions {
  seed: SeedData;
  appOrigins: string[];
  /** The app origin whose front-channel logout URL is registered (default: the first). */
  frontChannelLogoutOrigin?: string;
  apiClientCertPem: string;
}

/** Directory role that may grant consent for a whole tenant (admin consent). */
export const ADMIN_ROLE = "Global Administrator";

/** The parts of an app registration tests may change through the control API (reset restores them). */
export interface RegistrationPatch {
  knownClientApplications?: string[];
  preAuthorizedApplications?: PreAuthorizedApplication[];
  signInAudience?: SignInAudience;
  /** Configured permissions: full delegated scope names, e.g. "api://<api>/access_as_user". */
  requiredResourceAccess?: string[];
  /** Optional ID-token claims, e.g. ["sid", "login_hint"]. */
  idTokenOptionalClaims?: string[];
}

/** Entra's limit on group ids in a JWT: beyond it, an overage claim replaces the `groups` claim. */
export const JWT_GROUPS_LIMIT = 200;

/** Per-client consent in one tenant: tenant-wide (admin) grants, per-user grants and per-user revocations. */
interface ConsentEntry {
  all: Set<string>;
  users: Map<string, Set<string>>;
  revoked: Map<string, Set<string>>;
}

export class TenantStore {
  readonly seed: SeedData;
  readonly tenants: SeedTenant[];
  readonly apps: AppRegistration[];
  readonly resources: ResourceDefinition[];
  private users: User[] = [];
  /** Indexes: load tests add thousands of synthetic users. */
  private byName = new Map<string, User>();
  private byId = new Map<string, User>();
  /** Keyed by `${tenantId}|${clientId}`: a grant lives in the tenant it was made in. */
  private consents = new Map<string, ConsentEntry>();
  private roles = new Map<string, Map<string, string[]>>();
  private userConsentAllowed = new Map<string, boolean>();
  /** Security groups by id (seed groups and the generated series). */
  private groupsById = new Map<string, Group>();
  /** Member id (user or group) -> the groups it is a DIRECT member of. */
  private parentGroups = new Map<string, Set<string>>();
  /** Home user id -> the guest objects standing for that user in other tenants. */
  private guestsByHome = new Map<string, User[]>();

  constructor(opts: StoreOptions) {
    this.seed = opts.seed;
    this.tenants = opts.seed.tenants;
    this.apps = buildApps(opts.seed, opts.appOrigins, opts.frontChannelLogoutOrigin ?? opts.appOrigins[0], opts.apiClientCertPem);
    this.resources = [
      ...opts.seed.resources,
      ...this.apps
        .filter((a) => opts.seed.apps[a.key].exposes)
        .map((a) => {
          const exposes = opts.seed.apps[a.key].exposes ?? { scopes: [], appRoles: [] };
          return {
            appId: a.clientId,
            displayName: a.displayName,
            identifierUris: [`api://${a.clientId}`, a.clientId],
            tokenAudience: a.clientId,
            scopes: exposes.scopes,
            appRoles: exposes.appRoles.filter((r) => r.allowedMemberTypes.includes("Application")).map((r) => r.value),
            userRoles: exposes.appRoles.filter((r) => r.allowedMemberTypes.includes("User")).map((r) => r.value),
            optionalClaims: opts.seed.apps[a.key].optionalClaims ?? [],
            groupMembershipClaims: opts.seed.apps[a.key].groupMembershipClaims ?? "None",
          };
        }),
    ];
    for (const u of opts.seed.users) this.addUser({ ...u, businessPhones: [...u.businessPhones] });
    for (const g of expandGroups(opts.seed)) this.addGroup(g);
    this.reset();
  }

  static loadSeed(file: string): SeedData {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    return validateSeed(parsed);
  }

  /** Consent, app-role assignments, tenant settings and registrations back to the seed (users, incl. synthetic ones, stay). */
  reset(): void {
    this.consents = new Map();
    for (const c of this.seed.consents) {
      const tenantId = c.tenantId ?? this.appByClientId(c.clientId)?.homeTenantId ?? this.primaryTenant.id;
      const entry = this.consentEntry(tenantId, c.clientId);
      for (const s of c.scopes) entry.all.add(this.canonicalConsentKey(s));
    }
    this.userConsentAllowed = new Map(this.tenants.map((t) => [t.id, t.usersMayConsent !== false]));
    for (const app of this.apps) Object.assign(app, registrationFromSeed(this.seed, app.key));
    this.roles = new Map();
    for (const r of this.seed.appRoleAssignments) {
      const res = this.resourceByIdentifier(r.resource);
      if (!res) continue;
      const byRes = this.roles.get(r.clientId) ?? new Map<string, string[]>();
      byRes.set(res.appId, [...r.roles]);
      this.roles.set(r.clientId, byRes);
    }
  }

  // ---------- tenants ----------

  get primaryTenant(): SeedTenant {
    const t = this.tenants[0];
    if (!t) throw new Error("seed data has no tenant");
    return t;
  }

  tenantById(id: string): SeedTenant | undefined {
    const lower = id.toLowerCase();
    return this.tenants.find((t) => t.id === lower || t.domain === lower);
  }

  /** The tenant's "User consent for applications" setting (false: admin approval required). */
  usersMayConsent(tenantId: string): boolean {
    return this.userConsentAllowed.get(tenantId) ?? true;
  }

  setUsersMayConsent(tenantId: string, allowed: boolean): void {
    this.userConsentAllowed.set(tenantId, allowed);
  }

  // ---------- users ----------

  allUsers(tenantId: string): User[] {
    return this.users.filter((u) => u.tenantId === tenantId);
  }

  userByName(username: string): User | undefined {
    return this.byName.get(username.trim().toLowerCase());
  }

  userById(oid: string, tenantId?: string): User | undefined {
    const u = this.byId.get(oid);
    return u && (!tenantId || u.tenantId === tenantId) ? u : undefined;
  }

  /** May grant consent for the whole tenant (admin consent). */
  isAdmin(user: User): boolean {
    return (user.roles ?? []).includes(ADMIN_ROLE);
  }

  private addUser(user: User): void {
    this.users.push(user);
    this.byName.set(user.userPrincipalName.toLowerCase(), user);
    this.byId.set(user.id, user);
    if (user.guestOf) this.guestsByHome.set(user.guestOf, [...(this.guestsByHome.get(user.guestOf) ?? []), user]);
  }

  // ---------- guests (B2B) ----------

  /**
   * The account a sign-in name stands for (a home account). A guest object's #EXT# name signs
   * nobody in: the guest uses the home account's name and password.
   */
  accountByName(username: string): User | undefined {
    const user = this.userByName(username);
    return user && !user.guestOf ? user : undefined;
  }

  /** The account that signs in: the home user behind a guest object, or the user itself. */
  homeUser(user: User): User {
    return (user.guestOf ? this.byId.get(user.guestOf) : undefined) ?? user;
  }

  /**
   * The directory object that represents `home` (a home account) in `tenantId`: the user itself in
   * its own tenant, its guest object in a tenant that invited it, undefined elsewhere (AADSTS50020).
   * No tenant (organizations, common): the home account, as Entra signs users in at their home tenant.
   */
  userInTenant(home: User, tenantId: string | undefined): User | undefined {
    if (!tenantId || home.tenantId === tenantId) return home;
    return this.guestsByHome.get(home.id)?.find((g) => g.tenantId === tenantId);
  }

  /** The guest objects that stand for `home` in other tenants. */
  guestObjectsOf(home: User): User[] {
    return [...(this.guestsByHome.get(home.id) ?? [])];
  }

  // ---------- groups ----------

  private addGroup(group: Group): void {
    this.groupsById.set(group.id, group);
    for (const member of group.members) this.addMembership(member, group.id);
  }

  private addMembership(memberId: string, groupId: string): void {
    const parents = this.parentGroups.get(memberId) ?? new Set<string>();
    parents.add(groupId);
    this.parentGroups.set(memberId, parents);
  }

  groupById(id: string): Group | undefined {
    return this.groupsById.get(id.toLowerCase());
  }

  /** Groups `memberId` belongs to directly. */
  directGroupsOf(memberId: string): string[] {
    return [...(this.parentGroups.get(memberId) ?? [])];
  }

  /** Groups `userId` belongs to, directly or through nested groups (what `groups` and checkMemberGroups report). */
  transitiveGroupsOf(userId: string): string[] {
    const seen = new Set<string>();
    const queue = this.directGroupsOf(userId);
    while (queue.length) {
      const g = queue.shift() as string;
      if (seen.has(g)) continue;
      seen.add(g);
      queue.push(...this.directGroupsOf(g));
    }
    return [...seen];
  }

  /**
   * The group ids a token for `resourceAppId` carries for `user`, by the registration's
   * groupMembershipClaims: security groups (transitive), or only the groups assigned to the app.
   * Undefined = the registration asks for no groups.
   */
  groupsForToken(user: User, setting: GroupMembershipClaims | undefined, resourceAppId: string): string[] | undefined {
    if (!setting || setting === "None") return undefined;
    const all = this.transitiveGroupsOf(user.id);
    if (setting !== "ApplicationGroup") return all;
    const assigned = new Set(this.assignmentsFor(resourceAppId).flatMap((a) => a.groups ?? []));
    return all.filter((g) => assigned.has(g));
  }

  // ---------- app roles of users ----------

  private assignmentsFor(resourceAppId: string) {
    return (this.seed.principalRoleAssignments ?? []).filter((a) => this.resourceByIdentifier(a.resource)?.appId === resourceAppId);
  }

  /**
   * The app roles `user` holds on `resourceAppId`: assigned to the user, or to a group the user is
   * a DIRECT member of (Entra does not pass app role assignments down nested groups). Only roles
   * the resource still defines for users count.
   */
  userAppRoles(user: User, resourceAppId: string): string[] {
    const resource = this.resources.find((r) => r.appId === resourceAppId);
    const defined = new Set(resource?.userRoles ?? []);
    const direct = new Set(this.directGroupsOf(user.id));
    const roles = new Set<string>();
    for (const a of this.assignmentsFor(resourceAppId)) {
      const holds = (a.users ?? []).includes(user.id) || (a.groups ?? []).some((g) => direct.has(g));
      if (holds) for (const r of a.roles) if (defined.has(r)) roles.add(r);
    }
    return [...roles];
  }

  // ---------- Conditional Access authentication contexts ----------

  /** The authentication contexts `tenantId` declares (c1 = require MFA, ...). */
  authenticationContexts(tenantId: string): SeedAuthenticationContext[] {
    return (this.seed.authenticationContexts ?? []).filter((c) => c.tenantId === tenantId);
  }

  /**
   * Load tests use synthetic users `loaduser<N>@<tenant domain>`, created only by the control API
   * (POST /_control/users), with a deterministic oid so repeated runs mint the same identities.
   * Nothing else invents a user: a name nobody created does not exist, as in a real directory.
   */
  createSyntheticUser(n: number, tenant: SeedTenant): User {
    const upn = `loaduser${n}@${tenant.domain}`;
    const existing = this.userByName(upn);
    if (existing) return existing;
    const user: User = {
      id: deterministicGuid(`${tenant.id}/${upn}`),
      tenantId: tenant.id,
      userPrincipalName: upn,
      password: this.seed.users[0]?.password ?? "Passw0rd!emu",
      displayName: `Load User ${n}`,
      givenName: "Load",
      surname: `User ${n}`,
      jobTitle: "Synthetic load-test user",
      department: null,
      officeLocation: null,
      mail: upn,
      businessPhones: [],
      mobilePhone: null,
      preferredLanguage: "en-US",
    };
    this.addUser(user);
    // Load users can use every view: they join the groups the seed names for them (app roles).
    for (const g of this.seed.loadUserGroups ?? []) if (this.groupById(g)?.tenantId === tenant.id) this.addMembership(user.id, g);
    return user;
  }

  // ---------- apps and resources ----------

  appByClientId(clientId: string): AppRegistration | undefined {
    return this.apps.find((a) => a.clientId === clientId.trim().toLowerCase());
  }

  app(key: AppKey): AppRegistration {
    const a = this.apps.find((x) => x.key === key);
    if (!a) throw new Error(`app ${key} missing from seed`);
    return a;
  }

  /** Finds a resource by application ID URI, app id or token audience (case-insensitive, trailing slash ignored). */
  resourceByIdentifier(identifier: string): ResourceDefinition | undefined {
    const id = identifier.trim().toLowerCase().replace(/\/+$/, "");
    return this.resources.find(
      (r) =>
        r.appId === id ||
        r.tokenAudience.toLowerCase().replace(/\/+$/, "") === id ||
        r.identifierUris.some((u) => u.toLowerCase() === id),
    );
  }

  get graph(): ResourceDefinition {
    const g = this.resources.find((r) => r.appId === "00000003-0000-0000-c000-000000000000");
    if (!g) throw new Error("seed data lacks Microsoft Graph");
    return g;
  }

  get arm(): ResourceDefinition {
    const a = this.resources.find((r) => r.appId === ARM_APP_ID);
    if (!a) throw new Error("seed data lacks Azure Resource Manager");
    return a;
  }

  /** Every `aud` value the resource accepts: its audience and App ID URIs (with or without a trailing slash), its app id. */
  audiencesOf(resource: ResourceDefinition): string[] {
    const uris = [resource.tokenAudience, ...resource.identifierUris];
    return [...new Set([...uris, ...uris.filter((u) => u.includes("://")).map((u) => `${u}/`), resource.appId])];
  }

  /** Changes a registration for tests (control API); `reset()` restores the seed. */
  patchRegistration(clientId: string, patch: RegistrationPatch): AppRegistration | undefined {
    const app = this.appByClientId(clientId);
    if (!app) return undefined;
    if (patch.knownClientApplications) app.knownClientApplications = patch.knownClientApplications.map((id) => id.toLowerCase());
    if (patch.preAuthorizedApplications) app.preAuthorizedApplications = patch.preAuthorizedApplications.map((p) => ({ appId: p.appId.toLowerCase(), scopes: [...p.scopes] }));
    if (patch.signInAudience) app.signInAudience = patch.signInAudience;
    if (patch.requiredResourceAccess) app.requiredResourceAccess = [...patch.requiredResourceAccess];
    if (patch.idTokenOptionalClaims) app.idTokenOptionalClaims = [...patch.idTokenOptionalClaims];
    return app;
  }

  appRoles(clientId: string, resourceAppId: string): string[] {
    return this.roles.get(clientId)?.get(resourceAppId) ?? [];
  }

  // ---------- consent ----------

  /**
   * Consent keys are lower-case "<resource appId>/<scope>" or a bare OIDC scope,
   * so "User.Read", "https://graph.microsoft.com/User.Read" and
   * "00000003-.../user.read" are the same grant.
   */
  canonicalConsentKey(scope: string): string {
    const s = scope.trim();
    const lower = s.toLowerCase();
    if ((OIDC_SCOPES as readonly string[]).includes(lower)) return lower;
    const slash = s.lastIndexOf("/");
    if (slash < 0) return `${this.graph.appId}/${lower}`;
    const res = this.resourceByIdentifier(s.slice(0, slash));
    const name = s.slice(slash + 1).toLowerCase();
    return res ? `${res.appId}/${name}` : lower;
  }

  /** What `userOid` has consented to for `clientId` in the user's own tenant. */
  consentedKeys(clientId: string, userOid: string): Set<string> {
    const tenantId = this.userById(userOid)?.tenantId ?? this.primaryTenant.id;
    const entry = this.consents.get(`${tenantId}|${clientId}`);
    if (!entry) return new Set();
    const result = new Set<string>([...entry.all, ...(entry.users.get(userOid) ?? [])]);
    for (const r of entry.revoked.get(userOid) ?? []) result.delete(r);
    return result;
  }

  /**
   * A grant for one user (in that user's tenant) or, without `userOid`, for every user of
   * `tenantId` (default: the client's home tenant).
   */
  grantConsent(clientId: string, scopes: string[], userOid?: string, tenantId?: string): void {
    const entry = this.consentEntry(this.grantTenant(clientId, userOid, tenantId), clientId);
    const keys = scopes.map((s) => this.canonicalConsentKey(s));
    if (userOid) {
      const set = entry.users.get(userOid) ?? new Set<string>();
      keys.forEach((k) => set.add(k));
      entry.users.set(userOid, set);
      const revoked = entry.revoked.get(userOid);
      keys.forEach((k) => revoked?.delete(k));
    } else {
      keys.forEach((k) => entry.all.add(k));
      for (const revoked of entry.revoked.values()) keys.forEach((k) => revoked.delete(k));
    }
  }

  /** `scopes` undefined = everything the client was granted (in that tenant). */
  revokeConsent(clientId: string, scopes: string[] | undefined, userOid?: string, tenantId?: string): void {
    const entry = this.consentEntry(this.grantTenant(clientId, userOid, tenantId), clientId);
    const keys = scopes
      ? scopes.map((s) => this.canonicalConsentKey(s))
      : [...entry.all, ...[...entry.users.values()].flatMap((s) => [...s])];
    if (userOid) {
      const set = entry.revoked.get(userOid) ?? new Set<string>();
      keys.forEach((k) => set.add(k));
      entry.revoked.set(userOid, set);
    } else {
      keys.forEach((k) => entry.all.delete(k));
      for (const set of entry.users.values()) keys.forEach((k) => set.delete(k));
    }
  }

  private grantTenant(clientId: string, userOid: string | undefined, tenantId: string | undefined): string {
    if (userOid) return this.userById(userOid)?.tenantId ?? this.primaryTenant.id;
    return tenantId ?? this.appByClientId(clientId)?.homeTenantId ?? this.primaryTenant.id;
  }

  /** The seed's tenant-wide grants for a client in its home tenant (the control API's default grant). */
  seedConsentScopes(clientId: string): string[] {
    const home = this.appByClientId(clientId)?.homeTenantId;
    return this.seed.consents.find((c) => c.clientId === clientId && (c.tenantId ?? home) === home)?.scopes ?? [];
  }

  /** The client's configured permissions (requiredResourceAccess) for one resource, or all of them. */
  configuredPermissions(clientId: string, resourceAppId?: string): string[] {
    const all = this.appByClientId(clientId)?.requiredResourceAccess ?? [];
    return resourceAppId ? all.filter((s) => this.canonicalConsentKey(s).startsWith(`${resourceAppId}/`)) : [...all];
  }

  private consentEntry(tenantId: string, clientId: string): ConsentEntry {
    const key = `${tenantId}|${clientId}`;
    let entry = this.consents.get(key);
    if (!entry) {
      entry = { all: new Set(), users: new Map(), revoked: new Map() };
      this.consents.set(key, entry);
    }
    return entry;
  }
}

function buildApps(seed: SeedData, origins: string[], frontChannelLogoutOrigin: string | undefined, apiClientCertPem: string): AppRegistration[] {
  const keys: AppKey[] = ["spa", "api", "web", "cli"];
  return keys.map((key) => {
    const s = seed.apps[key];
    const redirects: RedirectRegistration[] = [];
    for (const origin of origins) {
      for (const p of s.spaRedirectPaths ?? []) redirects.push({ uri: origin + p, platform: "spa" });
      for (const p of s.webRedirectPaths ?? []) redirects.push({ uri: origin + p, platform: "web" });
    }
    for (const uri of s.nativeRedirects ?? []) redirects.push({ uri, platform: "native" });
    let certificate: AppRegistration["certificate"];
    if (s.certificateCredential) {
      const cert = new X509Certificate(apiClientCertPem);
      certificate = {
        sha1: createHash("sha1").update(cert.raw).digest("hex").toUpperCase(),
        sha256: createHash("sha256").update(cert.raw).digest("hex").toUpperCase(),
        publicKeyPem: cert.publicKey.export({ format: "pem", type: "spki" }).toString(),
      };
    }
    return {
      key,
      clientId: s.clientId.toLowerCase(),
      displayName: s.displayName,
      homeTenantId: s.homeTenantId,
      publicClient: s.publicClient,
      clientSecret: s.clientSecret,
      certificate,
      redirects,
      frontChannelLogoutUrl: s.frontChannelLogoutPath && frontChannelLogoutOrigin ? frontChannelLogoutOrigin + s.frontChannelLogoutPath : undefined,
      federatedCredentials: s.federatedCredentials ?? [],
      servicePrincipalId: deterministicGuid(`sp/${s.clientId}`),
      groupMembershipClaims: s.groupMembershipClaims ?? "None",
      ...registrationFromSeed(seed, key),
    };
  });
}

/** The registration properties tests may patch, as the seed defines them. */
function registrationFromSeed(
  seed: SeedData,
  key: AppKey,
): Pick<AppRegistration, "knownClientApplications" | "signInAudience" | "requiredResourceAccess" | "preAuthorizedApplications" | "idTokenOptionalClaims"> {
  const s = seed.apps[key];
  return {
    idTokenOptionalClaims: [...(s.idTokenOptionalClaims ?? [])],
    knownClientApplications: (s.knownClientApplications ?? []).map((id) => id.toLowerCase()),
    signInAudience: s.signInAudience ?? "AzureADMyOrg",
    requiredResourceAccess: [...(s.requiredResourceAccess ?? [])],
    preAuthorizedApplications: (s.preAuthorizedApplications ?? []).map((p) => ({ appId: p.appId.toLowerCase(), scopes: [...p.scopes] })),
  };
}

/** The seed's groups and generated group series, ids lower-case. */
function expandGroups(seed: SeedData): Group[] {
  const groups: Group[] = (seed.groups ?? []).map((g) => ({ ...g, id: g.id.toLowerCase(), members: g.members.map((m) => m.toLowerCase()) }));
  for (const series of seed.groupSeries ?? []) {
    for (let n = 1; n <= series.count; n++) {
      const number = String(n).padStart(3, "0");
      groups.push({
        id: deterministicGuid(`group/${series.idSeed}/${n}`),
        tenantId: series.tenantId,
        displayName: series.displayName.replace("{n}", number),
        members: series.members.map((m) => m.toLowerCase()),
      });
    }
  }
  return groups;
}

/** A stable GUID derived from a name (the emulator's stand-in for directory object ids). */
export function deterministicGuid(name: string): string {
  const h = createHash("sha256").update(name).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x40;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function validateSeed(value: unknown): SeedData {
  // A light structural check: a broken seed file should fail at start with a clear message.
  const v = value as Partial<SeedData> | null;
  const problems: string[] = [];
  if (!v || typeof v !== "object") throw new Error("tenant data file is not a JSON object");
  if (!Array.isArray(v.tenants) || v.tenants.length < 2) problems.push("tenants (need two)");
  if (!Array.isArray(v.users) || v.users.length === 0) problems.push("users");
  if (!Array.isArray(v.resources)) problems.push("resources");
  if (!v.apps || !v.apps.spa || !v.apps.api || !v.apps.web || !v.apps.cli) problems.push("apps.spa/api/web/cli");
  if (!Array.isArray(v.consents)) problems.push("consents");
  if (!Array.isArray(v.appRoleAssignments)) problems.push("appRoleAssignments");
  if (!Array.isArray(v.subscriptions)) problems.push("subscriptions");
  if (!v.managedIdentity) problems.push("managedIdentity");
  if (!v.mfaPolicy) problems.push("mfaPolicy");
  if (problems.length) throw new Error(`tenant data file is missing or has malformed: ${problems.join(", ")}`);
  return v as SeedData;
}
