import { readFileSync } from "node:fs";
import type { Credentials } from "./support/sign-in";

/** The running emulator's tenant (written by scripts/with-emulator.ts before Playwright starts). */
export interface TestTenant {
  authorityHost: string;
  /** The emulated cloud's Graph and ARM audiences (scope prefixes), e.g. https://graph.microsoft.us. */
  graphResource: string;
  armResource: string;
  /** Present in a Microsoft-host run: the cloud's own host names the emulator answers at. */
  microsoftHosts?: { authorityHost: string; graphBaseUrl: string; armBaseUrl: string; names: string[] };
  tenantId: string;
  secondTenantId: string;
  tenants: { id: string; displayName: string; domain: string }[];
  control: { url: string; secret: string };
  apps: { spa: { clientId: string }; api: { clientId: string; scope: string }; web: { clientId: string } };
  users: {
    username: string;
    password: string;
    displayName: string;
    tenantId: string;
    requiresMfa?: boolean;
    roles?: string[];
    /** The code to type when asked for one (MFA, a step-up). */
    mfaCode?: string;
    /** The API's app roles the user holds. */
    appRoles?: string[];
    groupCount?: number;
    /** B2B: this account's guest objects in other tenants. */
    guestIn?: { tenantId: string; oid: string; userPrincipalName: string }[];
  }[];
  authorization?: { directoryGroupId: string; authenticationContexts: { id: string; displayName: string }[] };
}

export function tenant(): TestTenant {
  const file = process.env.EMULATOR_TENANT_FILE;
  if (!file) throw new Error("EMULATOR_TENANT_FILE is not set: run the e2e suite with `npm run test:e2e`");
  return JSON.parse(readFileSync(file, "utf8")) as TestTenant;
}

/**
 * The identity provider's origin as the app under test knows it: the emulator's localhost origin, or
 * in a Microsoft-host run (scripts/microsoft-hosts.ts) the cloud's own sign-in host.
 */
export function identityProviderOrigin(): string {
  const t = tenant();
  return new URL(t.microsoftHosts?.authorityHost ?? t.authorityHost).origin;
}

export function user(username: string) {
  const found = tenant().users.find((u) => u.username === username);
  if (!found) throw new Error(`no seeded user ${username}`);
  return found;
}

/** Calls the emulator's test control API (node fetch trusts its CA through NODE_EXTRA_CA_CERTS). */
export async function control(path: string, body?: unknown, method = body === undefined ? "GET" : "POST"): Promise<unknown> {
  const { url, secret } = tenant().control;
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${secret}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`control ${method} ${path} → ${response.status}: ${await response.text()}`);
  const text = await response.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Total token requests the emulator has served for a grant and client. */
export async function tokenRequests(grant: string, clientId: string): Promise<number> {
  const counters = (await control("/counters")) as { tokenRequests?: Record<string, Record<string, number>> };
  return counters.tokenRequests?.[grant]?.[clientId] ?? 0;
}

/** The emulator's counters (GET /_control/counters). */
export interface EmulatorCounters {
  tokenRequests: Record<string, Record<string, number>>;
  tokenRequestsByTenant: Record<string, Record<string, number>>;
  authorize: number;
  consentPrompts: number;
  adminApprovalPages: number;
  adminConsent: number;
  /** Entra instance discovery requests (any host). */
  instanceDiscovery: number;
  /** Requests per host the emulator served ("localhost" or a Microsoft host name), the control API not counted. */
  requestsByHost: Record<string, number>;
  /** Sign-outs that asked "Pick an account" (no logout_hint). */
  logoutAccountPicker: number;
}

export async function counters(): Promise<EmulatorCounters> {
  return (await control("/counters")) as EmulatorCounters;
}

/** A seeded user's sign-in name and password, for the page objects in e2e/support/sign-in. */
export function credentials(username: string): Credentials {
  const { password } = user(username);
  return { username, password };
}
