// In-memory state of the protocol: sign-in sessions, pending sign-in requests,
// authorization codes, refresh tokens, device codes and used assertion ids.
// Everything expires; a sweep keeps long-running dev sessions bounded.
import { randomBytes, randomUUID } from "node:crypto";
import type { ResolvedScopes } from "./scopes";
import type { AppRegistration, Platform } from "./types";

export const CODE_LIFETIME_S = 600;
export const DEVICE_CODE_LIFETIME_S = 900;
export const SESSION_LIFETIME_S = 12 * 3600;
export const SPA_REFRESH_LIFETIME_S = 24 * 3600;
export const REFRESH_LIFETIME_S = 90 * 24 * 3600;
const PENDING_LIFETIME_S = 30 * 60;

export const nowSeconds = () => Math.floor(Date.now() / 1000);
export const randomToken = (bytes = 32) => randomBytes(bytes).toString("base64url");

/** What a completed sign-in proved; carried into codes, refresh tokens and tokens. */
export interface AuthContext {
  userOid: string;
  tenantId: string;
  amr: string[];
  acrs?: string[];
  authTime: number;
  sid: string;
}

export interface Session extends AuthContext {
  id: string;
  /** When the user signed in (seconds): the session lifetime counts from here. */
  createdAt: number;
  expiresAt: number;
  /**
   * Apps this browser session signed in to (client id -> the app origin of the redirect URI it
   * used): sign-out loads their front-channel logout URLs, and accepts a post-logout redirect URI
   * of theirs when the request names no client.
   */
  signedInApps: Map<string, string>;
}

export interface AuthCode extends AuthContext {
  code: string;
  clientId: string;
  redirectUri: string;
  platform: Platform;
  scopes: ResolvedScopes;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  expiresAt: number;
  redeemed: boolean;
}

export interface RefreshGrant extends AuthContext {
  token: string;
  clientId: string;
  /** SPA refresh tokens must be redeemed cross-origin and never outlive the first sign-in + 24h. */
  spa: boolean;
  /**
   * SPA only: when the chain of refresh tokens began (the code redemption). Rotated tokens carry
   * it over, so the lifetime is fixed from sign-in, as Entra's is.
   */
  spaChainStartedAt?: number;
  /** When this token was issued (seconds): a later session revocation invalidates it. */
  issuedAt: number;
  expiresAt: number;
}

export type DeviceStatus = "pending" | "approved" | "declined" | "redeemed";

export interface DeviceGrant {
  deviceCode: string;
  userCode: string;
  clientId: string;
  /** Tenant fixed by the authority, or undefined for organizations/common. */
  tenantId?: string;
  scopes: ResolvedScopes;
  status: DeviceStatus;
  auth?: AuthContext;
  expiresAt: number;
}

/** A sign-in in progress (authorize or device login), referenced by hidden form fields. */
export interface PendingSignIn {
  id: string;
  /** adminConsent: `/{tenant}/adminconsent`, an administrator granting for the whole tenant. */
  kind: "authorize" | "device" | "adminConsent";
  client: AppRegistration;
  tenantId?: string;
  /** Authority path segment the request came in on (tid, domain, organizations, common). */
  tenantSegment: string;
  scopes: ResolvedScopes;
  redirectUri?: string;
  platform?: Platform;
  responseMode: "query" | "fragment" | "form_post";
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  prompt?: string;
  loginHint?: string;
  clientInfo: boolean;
  /** acrs values asked for in the claims parameter; step-up requested when defined. */
  stepUpAcrs?: string[];
  stepUp: boolean;
  consentShown: boolean;
  deviceCode?: string;
  userOid?: string;
  expiresAt: number;
}

/** A sign-out waiting for the user to pick the account ("Pick an account"): the request as sent. */
export interface PendingLogout {
  id: string;
  /** The logout request's parameters (post_logout_redirect_uri, state, client_id, …). */
  params: [string, string][];
  /** The browser session the question is about. */
  sessionId: string;
  expiresAt: number;
}

export class GrantStore {
  readonly sessions = new Map<string, Session>();
  readonly pendingLogouts = new Map<string, PendingLogout>();
  readonly pending = new Map<string, PendingSignIn>();
  readonly codes = new Map<string, AuthCode>();
  readonly refreshTokens = new Map<string, RefreshGrant>();
  readonly deviceCodes = new Map<string, DeviceGrant>();
  private readonly userCodes = new Map<string, string>();
  private readonly usedJti = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  reset(): void {
    this.sessions.clear();
    this.pendingLogouts.clear();
    this.pending.clear();
    this.codes.clear();
    this.refreshTokens.clear();
    this.deviceCodes.clear();
    this.userCodes.clear();
    this.usedJti.clear();
  }

  createSession(auth: Omit<AuthContext, "sid"> & { sid?: string }): Session {
    const now = nowSeconds();
    const session: Session = { ...auth, sid: auth.sid ?? randomUUID(), id: randomToken(), createdAt: now, expiresAt: now + SESSION_LIFETIME_S, signedInApps: new Map() };
    this.sessions.set(session.id, session);
    return session;
  }

  /**
   * The session, unless it is gone or older than `lifetimeSeconds` (checked at each use, so
   * lowering the lifetime through the control API ends existing sessions at once).
   */
  liveSession(id: string | undefined, lifetimeSeconds = SESSION_LIFETIME_S): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    const now = nowSeconds();
    if (!s || s.expiresAt < now || now >= s.createdAt + lifetimeSeconds) return undefined;
    return s;
  }

  addPending(p: Omit<PendingSignIn, "id" | "expiresAt">): PendingSignIn {
    const entry: PendingSignIn = { ...p, id: randomToken(18), expiresAt: nowSeconds() + PENDING_LIFETIME_S };
    this.pending.set(entry.id, entry);
    return entry;
  }

  getPending(id: string | undefined): PendingSignIn | undefined {
    if (!id) return undefined;
    const p = this.pending.get(id);
    return p && p.expiresAt >= nowSeconds() ? p : undefined;
  }

  addPendingLogout(params: Map<string, string>, sessionId: string): PendingLogout {
    const entry: PendingLogout = { id: randomToken(18), params: [...params], sessionId, expiresAt: nowSeconds() + PENDING_LIFETIME_S };
    this.pendingLogouts.set(entry.id, entry);
    return entry;
  }

  /** The pending sign-out, removed (a choice is made once). */
  takePendingLogout(id: string | undefined): PendingLogout | undefined {
    if (!id) return undefined;
    const p = this.pendingLogouts.get(id);
    this.pendingLogouts.delete(id);
    return p && p.expiresAt >= nowSeconds() ? p : undefined;
  }

  issueCode(c: Omit<AuthCode, "code" | "expiresAt" | "redeemed">): AuthCode {
    const code: AuthCode = { ...c, code: `1.${randomToken(48)}`, expiresAt: nowSeconds() + CODE_LIFETIME_S, redeemed: false };
    this.codes.set(code.code, code);
    return code;
  }

  issueRefreshToken(r: Omit<RefreshGrant, "token" | "issuedAt">): RefreshGrant {
    const grant: RefreshGrant = { ...r, token: `1.${randomToken(64)}`, issuedAt: nowSeconds() };
    this.refreshTokens.set(grant.token, grant);
    return grant;
  }

  addDeviceGrant(clientId: string, tenantId: string | undefined, scopes: ResolvedScopes, lifetimeSeconds: number): DeviceGrant {
    let userCode = "";
    do userCode = makeUserCode();
    while (this.userCodes.has(userCode));
    const grant: DeviceGrant = {
      deviceCode: `DAQABIQEAAAB${randomToken(96)}`,
      userCode,
      clientId,
      tenantId,
      scopes,
      status: "pending",
      expiresAt: nowSeconds() + lifetimeSeconds,
    };
    this.deviceCodes.set(grant.deviceCode, grant);
    this.userCodes.set(userCode, grant.deviceCode);
    return grant;
  }

  deviceByUserCode(input: string): DeviceGrant | undefined {
    const normalized = input.replace(/[\s-]/g, "").toUpperCase();
    const dc = this.userCodes.get(normalized);
    return dc ? this.deviceCodes.get(dc) : undefined;
  }

  /** Records a client-assertion jti; false when it was seen before (replay). */
  useJti(key: string, expiresAt: number): boolean {
    if (this.usedJti.has(key)) return false;
    this.usedJti.set(key, expiresAt);
    return true;
  }

  private sweep(): void {
    const now = nowSeconds();
    for (const [k, v] of this.sessions) if (v.expiresAt < now) this.sessions.delete(k);
    for (const [k, v] of this.pending) if (v.expiresAt < now) this.pending.delete(k);
    for (const [k, v] of this.pendingLogouts) if (v.expiresAt < now) this.pendingLogouts.delete(k);
    for (const [k, v] of this.codes) if (v.expiresAt < now) this.codes.delete(k);
    for (const [k, v] of this.refreshTokens) if (v.expiresAt < now) this.refreshTokens.delete(k);
    for (const [k, v] of this.usedJti) if (v < now - 600) this.usedJti.delete(k);
    for (const [k, v] of this.deviceCodes) {
      // Keep expired device codes a while so polling clients get expired_token, not bad_verification_code.
      if (v.expiresAt < now - 3600) {
        this.deviceCodes.delete(k);
        this.userCodes.delete(v.userCode);
      }
    }
  }
}

/** Nine characters from an unambiguous alphabet, like Entra's user codes. */
function makeUserCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(9);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
