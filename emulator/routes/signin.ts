// The interactive part shared by the authorize endpoint and the device login:
// who is the user (sign-in form / account picker), step-up (verification code),
// consent, then completion (authorization code redirect or device approval).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "../context";
import { EntraError } from "../errors";
import { nowSeconds, type AuthContext, type PendingSignIn, type Session } from "../grants";
import { appendSetCookie, parseCookies, parseForm, readBody, sendHtml, serializeCookie } from "../http";
import { adminApprovalRequired, adminConsentGrants, combinedConsent, mayConsent } from "../consent";
import { authContextsNeedMfa, mfaRequiredFor } from "../mfa";
import { accountPickerPage, adminApprovalPage, consentPage, messagePage, mfaPage, signInPage, type Page } from "../pages";
import { errorRedirectParams, respondToClient, sendErrorPage } from "../respond";
import { fullScopeName } from "../scopes";
import { clientInfo, grantedScopes } from "../tokens";
import type { User } from "../types";

export const SESSION_COOKIE = "emu_session";
export const ACCOUNTS_COOKIE = "emu_accounts";

const OIDC_DESCRIPTIONS: Record<string, string> = {
  openid: "Sign you in",
  profile: "View your basic profile",
  email: "View your email address",
  offline_access: "Maintain access to data you have given it access to",
};

function show(res: ServerResponse, page: Page, status = 200): void {
  sendHtml(res, status, page.html, page.headers);
}

export function currentSession(ctx: EmulatorContext, req: IncomingMessage): Session | undefined {
  return ctx.grants.liveSession(parseCookies(req).get(SESSION_COOKIE), ctx.settings.sessionLifetimeSeconds);
}

export function rememberedAccounts(ctx: EmulatorContext, req: IncomingMessage): User[] {
  const raw = parseCookies(req).get(ACCOUNTS_COOKIE) ?? "";
  return raw
    .split(".")
    .map((oid) => ctx.store.userById(oid))
    .filter((u): u is User => Boolean(u));
}

function startSession(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, user: User): Session {
  const old = currentSession(ctx, req);
  if (old) ctx.grants.sessions.delete(old.id);
  const session = ctx.grants.createSession({ userOid: user.id, tenantId: user.tenantId, amr: ["pwd"], authTime: nowSeconds() });
  appendSetCookie(res, serializeCookie(SESSION_COOKIE, session.id));
  const accounts = [user.id, ...rememberedAccounts(ctx, req).map((u) => u.id).filter((id) => id !== user.id)].slice(0, 5);
  appendSetCookie(res, serializeCookie(ACCOUNTS_COOKIE, accounts.join("."), { maxAge: 90 * 24 * 3600 }));
  return session;
}

export function renderSignIn(res: ServerResponse, pending: PendingSignIn, opts: { username?: string; error?: string } = {}): void {
  show(
    res,
    signInPage({
      pendingId: pending.id,
      username: opts.username ?? pending.loginHint,
      error: opts.error,
      appName: pending.client.displayName,
      deviceFlow: pending.kind === "device",
    }),
  );
}

export function renderAccountPicker(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, pending: PendingSignIn): void {
  const session = currentSession(ctx, req);
  show(
    res,
    accountPickerPage({
      pendingId: pending.id,
      appName: pending.client.displayName,
      accounts: rememberedAccounts(ctx, req).map((u) => ({
        oid: u.id,
        username: u.userPrincipalName,
        displayName: u.displayName,
        signedIn: session?.userOid === u.id,
      })),
    }),
  );
}

/** Terminal failure of a sign-in: back to the client for authorize, a page for device login. */
export function failSignIn(ctx: EmulatorContext, res: ServerResponse, pending: PendingSignIn, err: EntraError): void {
  ctx.grants.pending.delete(pending.id);
  if (pending.kind === "device") {
    const device = pending.deviceCode ? ctx.grants.deviceCodes.get(pending.deviceCode) : undefined;
    if (device && err.error === "access_denied") device.status = "declined";
    show(res, messagePage("Sign in failed", `AADSTS${err.code}: ${err.description}`));
    return;
  }
  if (!pending.redirectUri) {
    sendErrorPage(res, err);
    return;
  }
  respondToClient(res, pending.redirectUri, pending.responseMode, errorRedirectParams(ctx, err, pending.state));
}

/**
 * Moves a pending sign-in forward as far as it can without the user, rendering
 * the next page when input is needed.
 */
export function advance(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse, pending: PendingSignIn, sessionOverride?: Session): void {
  if (!pending.userOid) {
    renderSignIn(res, pending);
    return;
  }
  const user = ctx.store.userById(pending.userOid);
  if (!user) {
    renderSignIn(res, pending);
    return;
  }
  const session = sessionOverride ?? currentSession(ctx, req);
  // The session is the home account's; `user` may be its guest object in the authority's tenant.
  if (!session || session.userOid !== ctx.store.homeUser(user).id) {
    renderSignIn(res, pending, { username: ctx.store.homeUser(user).userPrincipalName });
    return;
  }
  const resource = pending.scopes.resource ?? ctx.store.graph;
  const needMfa = pending.stepUp || mfaRequiredFor(ctx, user, resource) || authContextsNeedMfa(ctx, user.tenantId, pending.stepUpAcrs, session.amr);
  if (needMfa && !session.amr.includes("mfa")) {
    show(res, mfaPage({ pendingId: pending.id, username: user.userPrincipalName }));
    return;
  }
  if (pending.kind === "adminConsent") {
    adminConsentStep(ctx, res, pending, user);
    return;
  }
  const names = scopesToConsent(ctx, pending, user);
  if (names) {
    pending.consentShown = true;
    if (!mayConsent(ctx, user, names)) {
      showAdminApproval(ctx, res, pending);
      return;
    }
    showConsent(ctx, res, pending, user, names);
    return;
  }
  complete(ctx, res, pending, user, session);
}

/** The consent prompt for `names`: for the user alone, or with `forOrganization` for every user of their tenant (admin consent). */
function showConsent(ctx: EmulatorContext, res: ServerResponse, pending: PendingSignIn, user: User, names: string[], forOrganization?: string): void {
  ctx.counters.count("consentPrompt");
  show(
    res,
    consentPage({
      pendingId: pending.id,
      appName: pending.client.displayName,
      username: user.userPrincipalName,
      scopes: names.map((n) => ({ name: n, description: describeScope(ctx, n) })),
      ...(forOrganization ? { forOrganization } : {}),
    }),
  );
}

/**
 * The permissions a consent prompt must show for this sign-in, or undefined when none is due:
 * what the client lacks, plus (combined consent) the resource app's own permissions; with
 * prompt=consent, everything requested once.
 */
function scopesToConsent(ctx: EmulatorContext, pending: PendingSignIn, user: User): string[] | undefined {
  const resource = pending.scopes.resource ?? ctx.store.graph;
  const forced = pending.prompt === "consent" && !pending.consentShown;
  const granted = grantedScopes(ctx, pending.client, user, pending.scopes);
  const combined = pending.consentShown ? undefined : combinedConsent(ctx, pending.client, user, pending.scopes, forced);
  if (granted.missing.length === 0 && !combined && !forced) return undefined;
  const requested = granted.missing.length
    ? granted.missing
    : [
        ...pending.scopes.names.map((n) => fullScopeName(resource, n)),
        ...(pending.scopes.isDefault ? ctx.store.configuredPermissions(pending.client.clientId, resource.appId) : []),
        ...pending.scopes.oidc,
      ];
  return [...new Set([...requested, ...(combined?.scopes ?? [])])];
}

/** "Need admin approval": the user may not consent (tenant setting, admin-only permission). */
function showAdminApproval(ctx: EmulatorContext, res: ServerResponse, pending: PendingSignIn): void {
  ctx.counters.count("adminApproval");
  const err = adminApprovalRequired(pending.client);
  show(res, adminApprovalPage({ pendingId: pending.id, appName: pending.client.displayName, code: err.code, message: err.description }));
}

/** /adminconsent after sign-in: only an administrator of the tenant may see and accept the prompt. */
function adminConsentStep(ctx: EmulatorContext, res: ServerResponse, pending: PendingSignIn, user: User): void {
  if (!ctx.store.isAdmin(user)) {
    showAdminApproval(ctx, res, pending);
    return;
  }
  const scopes = [...new Set(adminConsentGrants(ctx, pending.client).flatMap((g) => g.scopes))];
  showConsent(ctx, res, pending, user, scopes, ctx.store.tenantById(user.tenantId)?.displayName ?? user.tenantId);
}

/** An administrator accepted /adminconsent: grant for every user of the tenant, report back like Entra's v1 endpoint. */
function completeAdminConsent(ctx: EmulatorContext, res: ServerResponse, pending: PendingSignIn, user: User): void {
  ctx.grants.pending.delete(pending.id);
  for (const grant of adminConsentGrants(ctx, pending.client)) ctx.store.grantConsent(grant.clientId, grant.scopes, undefined, user.tenantId);
  if (!pending.redirectUri) {
    show(res, messagePage("Permissions granted", `${pending.client.displayName} can now be used by everyone in your organization.`));
    return;
  }
  respondToClient(res, pending.redirectUri, "query", { admin_consent: "True", tenant: user.tenantId, state: pending.state });
}

function describeScope(ctx: EmulatorContext, scope: string): string {
  const oidc = OIDC_DESCRIPTIONS[scope];
  if (oidc) return oidc;
  const slash = scope.lastIndexOf("/");
  const res = ctx.store.resourceByIdentifier(scope.slice(0, slash));
  const def = res?.scopes.find((s) => s.value.toLowerCase() === scope.slice(slash + 1).toLowerCase());
  return def ? `${def.description} (${res?.displayName ?? ""})` : scope;
}

function complete(ctx: EmulatorContext, res: ServerResponse, pending: PendingSignIn, user: User, session: Session): void {
  ctx.grants.pending.delete(pending.id);
  const auth: AuthContext = {
    userOid: user.id,
    tenantId: user.tenantId,
    amr: [...session.amr],
    acrs: pending.stepUpAcrs?.length ? pending.stepUpAcrs : undefined,
    authTime: session.authTime,
    sid: session.sid,
  };
  if (pending.kind === "device") {
    const device = pending.deviceCode ? ctx.grants.deviceCodes.get(pending.deviceCode) : undefined;
    if (!device || device.status !== "pending" || device.expiresAt < nowSeconds()) {
      show(res, messagePage("Code expired", "The code you entered has expired. Get a new code from the app on your device and try again."));
      return;
    }
    device.status = "approved";
    device.auth = auth;
    show(
      res,
      messagePage(
        "You're signed in",
        `You have signed in to the ${pending.client.displayName} application on your device. You may now close this window.`,
      ),
    );
    return;
  }
  if (!pending.redirectUri || !pending.platform) {
    sendErrorPage(res, new EntraError(400, "invalid_request", 50011, "No redirect URI for this request."));
    return;
  }
  if (pending.platform !== "native") session.signedInApps.set(pending.client.clientId, new URL(pending.redirectUri).origin);
  const code = ctx.grants.issueCode({
    ...auth,
    clientId: pending.client.clientId,
    redirectUri: pending.redirectUri,
    platform: pending.platform,
    scopes: pending.scopes,
    nonce: pending.nonce,
    codeChallenge: pending.codeChallenge,
    codeChallengeMethod: pending.codeChallengeMethod,
  });
  respondToClient(res, pending.redirectUri, pending.responseMode, {
    code: code.code,
    client_info: pending.clientInfo ? clientInfo(ctx, user) : undefined,
    state: pending.state,
    session_state: session.sid,
  });
}

// ---------- form posts ----------

async function readPendingForm(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<{ form: Map<string, string>; pending: PendingSignIn } | undefined> {
  const form = parseForm(await readBody(req, 16 * 1024));
  const pending = ctx.grants.getPending(form.get("pending"));
  if (!pending) {
    show(
      res,
      messagePage("Sign-in session expired", "AADSTS50089: Flow token expired. Go back to the application and start signing in again."),
      400,
    );
    return undefined;
  }
  return { form, pending };
}

export async function postCredentials(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await readPendingForm(ctx, req, res);
  if (!read) return;
  const { form, pending } = read;
  if (form.get("action") === "cancel") {
    failSignIn(ctx, res, pending, new EntraError(400, "access_denied", 65004, "User declined to consent to access the app."));
    return;
  }
  const username = (form.get("username") ?? "").trim();
  const password = form.get("password") ?? "";
  const account = ctx.store.accountByName(username);
  if (!account) {
    renderSignIn(res, pending, {
      username,
      error: "This username may be incorrect. Make sure you typed it correctly. Otherwise, contact your admin.",
    });
    return;
  }
  // At a tenant's own authority a B2B guest is its guest object there; anyone else of another tenant is refused.
  const user = ctx.store.userInTenant(account, pending.tenantId);
  if (!user) {
    renderSignIn(res, pending, { username, error: notInTenantMessage(ctx, account, pending) });
    return;
  }
  if (password !== account.password) {
    renderSignIn(res, pending, {
      username,
      error: "Your account or password is incorrect. If you don't remember your password, reset it now.",
    });
    return;
  }
  const session = startSession(ctx, req, res, account);
  pending.userOid = user.id;
  advance(ctx, req, res, pending, session);
}

/** AADSTS50020 in Entra's words: the account is neither a member nor a guest of the authority's tenant. */
export function notInTenantMessage(ctx: EmulatorContext, account: User, pending: Pick<PendingSignIn, "tenantId" | "client">): string {
  const tenant = pending.tenantId ? ctx.store.tenantById(pending.tenantId) : undefined;
  return `AADSTS50020: User account '${account.userPrincipalName}' from identity provider does not exist in tenant '${tenant?.displayName ?? pending.tenantId ?? ""}' and cannot access the application '${pending.client.clientId}'(${pending.client.displayName}) in that tenant.`;
}

export async function postAccount(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const read = await readPendingForm(ctx, req, res);
  if (!read) return;
  const { form, pending } = read;
  const choice = form.get("account") ?? "other";
  const user = choice === "other" ? undefined : rememberedAccounts(ctx, req).find((u) => u.id === choice);
  if (!user) {
    renderSignIn(res, pending, { username: "" });
    return;
  }
  const session = currentSession(ctx, req);
  if (session && session.userOid === user.id) {
    const inTenant = ctx.store.userInTenant(user, pending.tenantId);
    if (!inTenant) {
      renderSignIn(res, pending, { username: user.userPrincipalName, error: notInTenantMessage(ctx, user, pending) });
      return;
    }
    pending.userOid = inTenant.id;
    advance(ctx, req, res, pending, session);
    return;
  }
  renderSignIn(res, pending, { username: user.userPrincipalName });
}

/**
 * The form of a step that follows sign-in (MFA, consent): only for the user this sign-in is
 * for, with a live session; anyone else goes back to the sign-in form.
 */
async function readSignedInStep(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse) {
  const read = await readPendingForm(ctx, req, res);
  if (!read) return;
  const { form, pending } = read;
  const session = currentSession(ctx, req);
  const user = pending.userOid ? ctx.store.userById(pending.userOid) : undefined;
  if (!user || !session || session.userOid !== ctx.store.homeUser(user).id) {
    renderSignIn(res, pending, { username: user ? ctx.store.homeUser(user).userPrincipalName : undefined });
    return;
  }
  return { form, pending, session, user };
}

export async function postMfa(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const step = await readSignedInStep(ctx, req, res);
  if (!step) return;
  const { form, pending, session, user } = step;
  const code = (form.get("otc") ?? "").trim();
  if (!/^\d{6}$/.test(code)) {
    show(res, mfaPage({ pendingId: pending.id, username: user.userPrincipalName, error: "That code didn't work. Check the code and try again." }));
    return;
  }
  session.amr = ["pwd", "mfa"];
  advance(ctx, req, res, pending, session);
}

export async function postConsent(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const step = await readSignedInStep(ctx, req, res);
  if (!step) return;
  const { form, pending, session, user } = step;
  const action = form.get("action");
  if (action === "return") {
    failSignIn(ctx, res, pending, adminApprovalRequired(pending.client));
    return;
  }
  if (action !== "accept") {
    failSignIn(ctx, res, pending, new EntraError(400, "access_denied", 65004, "User declined to consent to access the app."));
    return;
  }
  if (pending.kind === "adminConsent") {
    // The form is not the authority: only an administrator's accept counts.
    if (!ctx.store.isAdmin(user) || user.tenantId !== (pending.tenantId ?? user.tenantId)) return showAdminApproval(ctx, res, pending);
    return completeAdminConsent(ctx, res, pending, user);
  }
  const granted = grantedScopes(ctx, pending.client, user, pending.scopes);
  const combined = combinedConsent(ctx, pending.client, user, pending.scopes);
  if (!mayConsent(ctx, user, [...granted.missing, ...(combined?.scopes ?? [])])) return showAdminApproval(ctx, res, pending);
  ctx.store.grantConsent(pending.client.clientId, granted.missing, user.id);
  if (combined) ctx.store.grantConsent(combined.resourceApp.clientId, combined.scopes, user.id);
  pending.consentShown = true;
  advance(ctx, req, res, pending, session);
}
