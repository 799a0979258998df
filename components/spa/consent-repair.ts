import type { AccountInfo, IPublicClientApplication } from "@azure/msal-browser";

/**
 * The SPA's one attempt to repair missing consent for the API's downstream permissions, kept in
 * sessionStorage across the redirect. One attempt only: if the API still answers
 * consent_required afterwards (no combined consent for this app, or the tenant lets only
 * administrators consent), sending the user through consent again would loop forever.
 */
const ATTEMPT_KEY = "spa.consent-repair";

/** How the attempt ended at the identity provider, when it did not simply succeed. */
export type ConsentFailure = "admin_required" | "declined";

export interface ConsentRepairState {
  attempted: boolean;
  failure?: ConsentFailure;
}

export function consentRepairState(): ConsentRepairState {
  if (typeof window === "undefined") return { attempted: false };
  const raw = window.sessionStorage.getItem(ATTEMPT_KEY);
  if (!raw) return { attempted: false };
  return { attempted: true, failure: raw === "admin_required" || raw === "declined" ? raw : undefined };
}

/** The API answered without consent_required: forget the attempt. */
export function clearConsentRepair(): void {
  if (typeof window !== "undefined") window.sessionStorage.removeItem(ATTEMPT_KEY);
}

/** `api://<api>/access_as_user` → `api://<api>/.default`: asks for combined consent. */
export function defaultScopeOf(apiScope: string): string {
  return `${apiScope.slice(0, apiScope.lastIndexOf("/"))}/.default`;
}

/**
 * Sends the user to consent once to everything the app needs: the SPA's permission for the API
 * and, because the SPA is a known client of the API, the API's own Graph and ARM permissions
 * (Entra's combined consent needs `.default`; a named scope consents to that scope only).
 */
export async function startConsentRepair(msal: IPublicClientApplication, account: AccountInfo, apiScope: string): Promise<void> {
  window.sessionStorage.setItem(ATTEMPT_KEY, "attempted");
  await msal.acquireTokenRedirect({ scopes: [defaultScopeOf(apiScope)], prompt: "consent", account, redirectStartPage: window.location.href });
}

/**
 * Records why a redirect back from the identity provider failed, if a consent repair was under way:
 * AADSTS90094 / 90093 = "Need admin approval"; 65004 = the user cancelled the prompt.
 */
export function recordConsentFailure(error: unknown): void {
  if (typeof window === "undefined" || !window.sessionStorage.getItem(ATTEMPT_KEY)) return;
  const text = error instanceof Error ? `${(error as { errorCode?: string }).errorCode ?? ""} ${error.message}` : String(error);
  if (/AADSTS9009[34]\b/.test(text)) window.sessionStorage.setItem(ATTEMPT_KEY, "admin_required");
  else if (/AADSTS65004\b/.test(text)) window.sessionStorage.setItem(ATTEMPT_KEY, "declined");
}
