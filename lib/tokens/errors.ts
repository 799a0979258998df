import "server-only";
import { AuthError, InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { DiscoveryError } from "@/lib/auth/discovery";
import {
  isApiError,
  type ApiError,
  consentRequired,
  encodeBase64Text,
  idpUnavailable,
  insufficientClaims,
  internalError,
  invalidToken,
  serverMisconfigured,
} from "@/lib/errors";

export interface MsalErrorContext {
  /** The downstream scopes that were requested. */
  scopes: readonly string[];
  /** The authority used, e.g. https://login.microsoftonline.com/<tid>. */
  authority: string;
  api: string;
}

const RETRY_AFTER_SECONDS = 5;
const AADSTS = /AADSTS(\d+)/;

/**
 * msal-node (and discovery) failures as the API's errors:
 *  - interaction_required with claims (Conditional Access, MFA, CAE) → 401 insufficient_claims
 *  - AADSTS65001 / suberror consent_required → 403 consent_required (with the scopes)
 *  - the identity provider unreachable, timing out or answering 5xx/429 → 503 idp_unavailable
 *  - our own credential or scopes rejected (invalid_client, unauthorized_client, invalid_scope) → 500
 *  - the assertion itself rejected (expired, wrong audience) → 401 invalid_token
 */
export function mapMsalError(e: unknown, ctx: MsalErrorContext): ApiError {
  if (isApiError(e)) return e;
  if (e instanceof DiscoveryError) return idpUnavailable(RETRY_AFTER_SECONDS, e);
  if (!(e instanceof AuthError)) return internalError(e);

  const errorNo = (e as { errorNo?: string }).errorNo ?? AADSTS.exec(e.errorMessage)?.[1];
  const status = (e as { status?: number }).status;

  if (errorNo === "65001" || e.subError === "consent_required" || e.errorCode === "consent_required") {
    return consentRequired([...ctx.scopes], e);
  }
  if (e instanceof InteractionRequiredAuthError && e.claims) {
    return insufficientClaims(e.claims, encodeBase64Text(e.claims), `${ctx.authority}/oauth2/v2.0/authorize`, e);
  }
  if (e instanceof ServerError || e instanceof InteractionRequiredAuthError) {
    if ((status !== undefined && (status >= 500 || status === 429)) || e.errorCode === "temporarily_unavailable" || e.errorCode === "server_error") {
      return idpUnavailable(RETRY_AFTER_SECONDS, e);
    }
    if (e.errorCode === "invalid_client" || e.errorCode === "unauthorized_client" || e.errorCode === "invalid_scope" || e.errorCode === "invalid_resource") {
      return serverMisconfigured(e);
    }
    // invalid_grant and friends: the incoming token cannot be exchanged (expired, revoked,
    // interaction required without a claims challenge). The client must get a new token.
    return invalidToken("The identity provider would not exchange this token for the downstream API; sign in again.", e);
  }
  // ClientAuthError: network_error, token_parsing_error, endpoints_resolution_error, ...
  const code = e.errorCode;
  if (code === "network_error" || code === "token_parsing_error" || code === "endpoints_resolution_error" || code === "openid_config_error" || code === "no_network_connectivity") {
    return idpUnavailable(RETRY_AFTER_SECONDS, e);
  }
  if (code && /config|authority|credential|certificate|assertion/i.test(code)) return serverMisconfigured(e);
  return internalError(e);
}
