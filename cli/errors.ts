import { ConfigError } from "../lib/config/errors";

/** Exit codes: 0 ok, 1 the operation failed, 2 bad usage, 130 cancelled by Ctrl-C (128 + SIGINT). */
export const EXIT = { ok: 0, failed: 1, usage: 2, cancelled: 130 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * An error the CLI knows how to explain: a stable `code` for --json consumers, a one-line
 * `message` that says what happened and what to do next, and the exit code. Never a stack trace.
 */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly correlationId: string | undefined;

  constructor(code: string, message: string, options: { exitCode?: ExitCode; correlationId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT.failed;
    this.correlationId = options.correlationId || undefined;
  }
}

/** A usage mistake: the caller prints the usage text with it and exits 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super("usage", message, { exitCode: EXIT.usage });
    this.name = "UsageError";
  }
}

/** The shape of an MSAL error (AuthError, ServerError, InteractionRequiredAuthError), read structurally. */
interface MsalLikeError {
  errorCode: string;
  errorMessage: string;
  subError: string;
  correlationId?: string;
  errorNo?: string;
}

function isMsalLike(e: unknown): e is MsalLikeError {
  return typeof e === "object" && e !== null && typeof (e as { errorCode?: unknown }).errorCode === "string" && typeof (e as { errorMessage?: unknown }).errorMessage === "string";
}

/** Pulls the AADSTS number out of an MSAL error (ServerError.errorNo, or the description text). */
export function aadstsCode(e: { errorNo?: string; errorMessage?: string; message?: string }): string | undefined {
  if (e.errorNo && /^\d+$/.test(e.errorNo)) return e.errorNo;
  const match = /AADSTS(\d+)/.exec(`${e.errorMessage ?? ""} ${e.message ?? ""}`);
  return match?.[1];
}

/** Entra appends "Trace ID: … Correlation ID: … Timestamp: …" to descriptions; keep the first sentence only. */
export function firstLine(text: string): string {
  const line = text
    .split(/\r?\n/)[0]!
    .replace(/\s*Trace ID:.*$/i, "")
    .replace(/\s*Correlation ID:.*$/i, "")
    .trim();
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}

// AADSTS codes a CLI user actually meets, each with what to do about it.
const AADSTS: Record<string, { code: string; text: string }> = {
  "50076": { code: "mfa_required", text: "this account requires multi-factor authentication, which the username/password flow cannot perform. Use `device-code` instead (AADSTS50076)." },
  "50079": { code: "mfa_required", text: "this account must register for multi-factor authentication, which the username/password flow cannot perform. Use `device-code` instead (AADSTS50079)." },
  "50074": { code: "mfa_required", text: "strong authentication is required, which the username/password flow cannot perform. Use `device-code` instead (AADSTS50074)." },
  "50158": { code: "mfa_required", text: "an external security challenge (Conditional Access) is required, which the username/password flow cannot satisfy. Use `device-code` instead (AADSTS50158)." },
  "53003": { code: "blocked_by_conditional_access", text: "a Conditional Access policy blocked this sign-in. Ask your administrator, or use `device-code` (AADSTS53003)." },
  "65001": { code: "consent_required", text: "the CLI app has not been granted consent for the Microsoft Graph permissions it asks for. The username/password flow cannot show a consent prompt: an administrator must grant consent for the CLI app registration, or sign in once with `device-code` and accept (AADSTS65001)." },
  "65004": { code: "consent_declined", text: "consent was declined, so the CLI cannot call Microsoft Graph for you. Run the command again and accept the permissions (AADSTS65004)." },
  "50126": { code: "invalid_credentials", text: "wrong username or password (AADSTS50126). Check the password in CLI_PASSWORD, or leave it unset to be prompted." },
  "50034": { code: "unknown_user", text: "that user does not exist in this tenant (AADSTS50034). Check the --username value: it is the user principal name, e.g. someone@contoso.onmicrosoft.com." },
  "50053": { code: "account_locked", text: "the account is locked after too many failed sign-ins (AADSTS50053). Wait and try again, or ask your administrator." },
  "50055": { code: "password_expired", text: "the password has expired (AADSTS50055). Change it in a browser, then run the command again." },
  "50057": { code: "account_disabled", text: "the account is disabled (AADSTS50057). Ask your administrator." },
  "700016": { code: "unknown_client", text: "the CLI app (AZURE_CLI_CLIENT_ID) is not registered in this tenant (AADSTS700016). Check the client ID and AZURE_TENANT_ID." },
  "7000218": { code: "not_public_client", text: "the CLI app registration does not allow public client flows (AADSTS7000218). Turn on Authentication > 'Allow public client flows' for it." },
  "90002": { code: "unknown_tenant", text: "the tenant in AZURE_TENANT_ID was not found (AADSTS90002). Check the Directory (tenant) ID." },
  "70043": { code: "session_expired", text: "the saved sign-in has expired or was revoked (AADSTS70043). Sign in again." },
  "700082": { code: "session_expired", text: "the saved sign-in has expired (AADSTS700082). Sign in again." },
};

// Errors the device code endpoint returns while polling (RFC 8628 §3.5), which MSAL surfaces as
// post_request_failed with the server's error string as the message.
const DEVICE_ERRORS: Record<string, { code: string; text: string }> = {
  authorization_declined: { code: "authorization_declined", text: "the sign-in was declined on the device login page. Run the command again to retry." },
  expired_token: { code: "device_code_expired", text: "the device code expired before sign-in was completed. Run the command again for a new code." },
  code_expired: { code: "device_code_expired", text: "the device code expired before sign-in was completed. Run the command again for a new code." },
  bad_verification_code: { code: "bad_verification_code", text: "the identity provider did not recognise the device code. Run the command again." },
};

const TLS_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
]);

/** The `code` of a Node system or TLS error, looked up through `cause` chains. */
export function systemErrorCode(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z_]+$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** One line for a network failure talking to `host`, with the likely fix. */
export function explainNetwork(code: string | undefined, host: string, emulator: boolean): CliError {
  const err = describeNetwork(code, host, emulator);
  return new CliError(err.code, err.message.charAt(0).toUpperCase() + err.message.slice(1));
}

function describeNetwork(code: string | undefined, host: string, emulator: boolean): CliError {
  const where = emulator ? `the identity emulator at ${host}` : host;
  if (code && TLS_CODES.has(code)) {
    return new CliError(
      "tls_untrusted",
      emulator
        ? `the TLS certificate of ${where} is not trusted (${code}). The emulator's CA may have been regenerated: restart \`npm run emulator\` so .emulator/tenant.json points at the current CA.`
        : `the TLS certificate of ${host} is not trusted (${code}). If a proxy inspects TLS, add its CA with NODE_EXTRA_CA_CERTS.`,
    );
  }
  if (code === "ECONNREFUSED" || code === "ECONNRESET") {
    return new CliError(
      "unreachable",
      emulator ? `cannot reach ${where} (${code}). Is it running? Start it with \`npm run emulator\`.` : `cannot reach ${host} (${code}). Check your network connection.`,
    );
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new CliError("unreachable", `cannot resolve ${host} (${code}). Check your network connection and the configured URLs.`);
  }
  if (code === "ETIMEDOUT" || code === "TIMEOUT") {
    return new CliError("timeout", `${where} did not answer in time. Check your network connection and try again.`);
  }
  return new CliError("network_error", `the request to ${where} failed${code ? ` (${code})` : ""}. Check your network connection.`);
}

/** What the caller knows beyond the error itself. */
export interface ExplainContext {
  /** The transport's last network failure (see HttpClient.lastFailure). */
  networkFailure?: { code: string; host: string };
  emulator?: boolean;
  authority?: string;
}

/**
 * Maps anything thrown during a command to a CliError with one line of explanation. Unknown errors
 * keep their message (first line only) but never their stack.
 */
export function explain(e: unknown, context: ExplainContext = {}): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ConfigError) return new CliError(e.code, e.message);
  if (isMsalLike(e)) {
    const correlationId = e.correlationId || undefined;
    // MSAL hides network failures during authority discovery behind endpoints_resolution_error
    // (or a bare network_error); the transport remembers the real cause.
    const hidden = e.errorCode === "endpoints_resolution_error" || (e.errorCode === "network_error" && !e.subError);
    if (hidden && context.networkFailure) {
      const err = explainNetwork(context.networkFailure.code, context.networkFailure.host, context.emulator ?? false);
      return new CliError(err.code, err.message, { correlationId });
    }
    if (e.errorCode === "endpoints_resolution_error") {
      const where = context.authority ? ` from ${context.authority}/v2.0/.well-known/openid-configuration` : "";
      return new CliError(
        "authority_unavailable",
        `Sign-in failed: could not read the identity provider's OpenID configuration${where}. Check AZURE_TENANT_ID and AZURE_AUTHORITY_HOST (correlation id ${correlationId ?? "none"}).`,
        { correlationId },
      );
    }
    // Our network module (http.ts) throws network_error with the system code as subError and the
    // host and mode as own properties.
    if (e.errorCode === "network_error" && e.subError) {
      const extra = e as { host?: unknown; emulator?: unknown };
      const host = typeof extra.host === "string" ? extra.host : "the identity provider";
      const err = explainNetwork(e.subError, host, extra.emulator === true);
      return new CliError(err.code, err.message, { correlationId });
    }
    const device = DEVICE_ERRORS[e.errorMessage.trim()] ?? DEVICE_ERRORS[e.errorCode];
    if (device) return new CliError(device.code, `Sign-in failed: ${device.text}`, { correlationId });
    if (e.errorCode === "device_code_expired" || e.errorCode === "user_timeout_reached") {
      return new CliError("device_code_expired", "Sign-in failed: the device code expired before sign-in was completed. Run the command again for a new code.", { correlationId });
    }
    if (e.errorCode === "device_code_polling_cancelled") {
      return new CliError("cancelled", "Cancelled.", { exitCode: EXIT.cancelled, correlationId });
    }
    const aadsts = aadstsCode(e);
    const known = aadsts ? AADSTS[aadsts] : undefined;
    if (known) return new CliError(known.code, `Sign-in failed: ${known.text}`, { correlationId });
    if (e.errorCode === "consent_required") return new CliError("consent_required", `Sign-in failed: ${AADSTS["65001"]!.text}`, { correlationId });
    const detail = firstLine(e.errorMessage) || e.errorCode;
    const suffix = correlationId ? ` (correlation id ${correlationId})` : "";
    return new CliError(e.errorCode || "auth_error", `Sign-in failed: ${e.errorCode}: ${detail}${suffix}`, { correlationId });
  }
  const message = (e as { message?: unknown } | null)?.message;
  if (typeof message === "string") return new CliError("unexpected", `Unexpected error: ${firstLine(message) || "unknown"}`);
  return new CliError("unexpected", `Unexpected error: ${firstLine(String(e))}`);
}
