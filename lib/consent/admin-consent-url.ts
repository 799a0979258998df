/**
 * Entra's tenant-wide admin consent URL (`{authority host}/{tenant}/adminconsent?client_id=…`):
 * an administrator of `tenantId` who opens it signs in, reviews the app's configured permissions
 * and grants them for every user of the organization, then returns to `redirectUri`, which must
 * be one of the app's registered redirect URIs. Browser-safe (no server imports).
 * https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent
 */
export function adminConsentUrl(input: { authorityHost: string; tenantId: string; clientId: string; redirectUri?: string }): string {
  const url = new URL(`${input.authorityHost.replace(/\/+$/, "")}/${encodeURIComponent(input.tenantId)}/adminconsent`);
  url.searchParams.set("client_id", input.clientId);
  if (input.redirectUri) url.searchParams.set("redirect_uri", input.redirectUri);
  return url.toString();
}

/** Where the admin-consent endpoint sends the administrator back (registered on the API). */
export const ADMIN_CONSENT_PATH = "/admin-consent";
