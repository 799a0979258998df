/**
 * What /admin-consent says about an error the identity provider returned. Anyone can send an
 * administrator a link to /admin-consent with any `error` and `error_description`, and the page is
 * on the app's origin, so neither is shown as text: a known error gets this app's own words, any
 * other a generic sentence. The only part of the description kept is an Entra error code
 * (`AADSTS` and digits), which lets the administrator look the error up and carries no prose.
 */
export interface AdminConsentError {
  /** The error code as the provider sent it, when it is one of the known ones; otherwise undefined. */
  code?: string;
  /** Our text for it. */
  message: string;
  /** e.g. "AADSTS65004", from the start of the description, when present. */
  entraCode?: string;
}

const KNOWN: Record<string, string> = {
  access_denied: "The administrator declined or cancelled the request, or the account used cannot grant consent for the organization.",
  consent_required: "The administrator declined or cancelled the request, or the account used cannot grant consent for the organization.",
  invalid_request: "The request to grant consent was not accepted: the app's registration may not list this page as a redirect URI, or the link is incomplete.",
  invalid_client: "The identity provider does not know this app in that organization, or the app is not allowed to ask for consent there.",
  unauthorized_client: "The identity provider does not know this app in that organization, or the app is not allowed to ask for consent there.",
  server_error: "The identity provider could not complete the request. Try again in a few minutes.",
  temporarily_unavailable: "The identity provider could not complete the request. Try again in a few minutes.",
};

const GENERIC = "The identity provider did not grant consent.";
const ENTRA_CODE = /^\s*(AADSTS\d{4,8})\b/;

export function describeAdminConsentError(error: string, description: string | undefined): AdminConsentError {
  const known = Object.hasOwn(KNOWN, error) ? KNOWN[error] : undefined;
  return {
    code: known ? error : undefined,
    message: known ?? GENERIC,
    entraCode: description ? ENTRA_CODE.exec(description)?.[1] : undefined,
  };
}
