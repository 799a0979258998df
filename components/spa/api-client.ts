import { AuthError, type AccountInfo, type IPublicClientApplication } from "@azure/msal-browser";
import { isProblemDetails, type ProblemCode, type ProblemDetails } from "@/lib/errors/problem";
import { findChallenge } from "@/lib/errors/www-authenticate";
import { clearConsentRepair } from "./consent-repair";
import type { RequestTrace } from "./request-trace";
import { parseServerTiming } from "./server-timing";
import { isFixableBySignIn, redirectToSignIn, silentAuthority, tokenFor } from "./token-renewal";

export { InteractionStartedError, SignInRequiredError } from "./token-renewal";

/** A failed API call, with the API's machine-readable reason and what the UI can offer. */
export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode | "network_error" | "unexpected_response" | "claims_challenge_failed" | "request_too_large",
    message: string,
    readonly problem?: ProblemDetails,
    readonly retryAfterSeconds?: number,
    readonly trace?: RequestTrace,
  ) {
    super(message);
    this.name = "ApiCallError";
  }
}

export interface ApiResult<T> {
  data: T;
  trace: RequestTrace;
}

interface CallContext {
  msal: IPublicClientApplication;
  account: AccountInfo;
  scope: string;
  /** For a B2B guest's tenant authority (token-renewal.ts silentAuthority). */
  authorityHost?: string;
  /** A background call (the navigation's): never start a sign-in or step-up for it. */
  silentOnly?: boolean;
}

// Interactive step-ups made for a path (sessionStorage: this tab, across the redirect). The same
// challenge coming back after a step-up for it means the policy cannot be met; a different one
// (a CAE sign-in, then the view's authentication context) gets its own, up to MAX_STEP_UPS: never
// a loop through sign-in.
const CLAIMS_ATTEMPT_KEY = "api.claims-challenge:";
const MAX_STEP_UPS = 2;
// The claims a path last stepped up for: a later sign-in for renewal (session over) asks for them
// at once, instead of signing in and then stepping up again.
const CLAIMS_NEEDED_KEY = "api.claims-needed:";

interface StepUpAttempts {
  count: number;
  /** The claims of the last interactive step-up. */
  claims: string;
}

function readAttempts(key: string): StepUpAttempts | undefined {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(key) ?? "null");
    const a = parsed as Partial<StepUpAttempts> | null;
    return a && typeof a.count === "number" && typeof a.claims === "string" ? { count: a.count, claims: a.claims } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Calls this app's API with an access token for it:
 * - token silently (cache, refresh token, hidden iframe); one sign-in redirect when only the user
 *   can fix renewal (./token-renewal);
 * - 401 invalid_token (the API no longer accepts the token, e.g. its session was revoked): one
 *   retry with a freshly acquired token;
 * - 401 `insufficient_claims` (Conditional Access: MFA on the API's On-Behalf-Of call, or the
 *   view's authentication context, `acrs`): ask for a token with the challenge's `claims`
 *   silently first (the refresh token: no UI when this sign-in already satisfies the policy) and
 *   retry; else step up interactively and let the retry happen when the page comes back. Once
 *   per path: a second challenge after that says the policy cannot be met, never a loop;
 * - everything else becomes an ApiCallError with the API's problem code.
 */
export async function callApi<T>(
  { msal, account, scope, authorityHost, silentOnly }: CallContext,
  path: string,
  read: (response: Response) => Promise<T> = async (response) => (await response.json()) as T,
): Promise<ApiResult<T>> {
  const renewalClaims = sessionStorage.getItem(CLAIMS_NEEDED_KEY + path) ?? undefined;
  const send = async (forceRefresh: boolean, claims?: string): Promise<Response> => {
    const accessToken = claims
      ? await claimsToken({ msal, account, scope, authorityHost }, claims)
      : await tokenFor({ msal, account, scope, forceRefresh, authorityHost, silentOnly, renewalClaims });
    try {
      return await fetch(path, { headers: { Authorization: `Bearer ${accessToken}` } });
    } catch {
      throw new ApiCallError(0, "network_error", "The app's API could not be reached. Check your connection and try again.");
    }
  };
  const started = performance.now();
  const attemptKey = CLAIMS_ATTEMPT_KEY + path;
  let response = await send(false);
  if (response.status === 401 && (await peekProblem(response))?.code === "invalid_token") response = await send(true);
  // A claims challenge the refresh token can satisfy (the sign-in already meets the policy): no UI.
  const firstChallenge = claimsOf(response);
  if (firstChallenge && readAttempts(attemptKey)?.claims !== firstChallenge) {
    const silently = await send(false, firstChallenge).catch((e: unknown) => {
      if (isFixableBySignIn(e)) return undefined;
      // The identity provider did not answer (down, busy): say so, as for the API's own calls to it.
      if (e instanceof AuthError) throw new ApiCallError(503, "idp_unavailable", "The identity provider could not be reached to verify your sign-in for this page. Try again in a moment.");
      throw e;
    });
    if (silently) response = silently;
  }
  const trace: RequestTrace = {
    path,
    status: response.status,
    totalMs: performance.now() - started,
    metrics: parseServerTiming(response.headers.get("server-timing")),
    correlationId: response.headers.get("x-correlation-id"),
  };
  if (response.ok) {
    sessionStorage.removeItem(CLAIMS_ATTEMPT_KEY + path);
    // A background call (the navigation's /api/access) needs no downstream consent: its success
    // says nothing about a consent repair in progress.
    if (!silentOnly) clearConsentRepair();
    return { data: await read(response), trace };
  }

  const problem = await readProblem(response);
  const claims = claimsOf(response);
  if (claims && !silentOnly) {
    // The step-up for this very challenge already happened (the page came back from it), or too
    // many did: the policy cannot be met.
    const attempts = readAttempts(attemptKey);
    if (attempts && (attempts.claims === claims || attempts.count >= MAX_STEP_UPS)) {
      sessionStorage.removeItem(attemptKey);
      throw new ApiCallError(401, "claims_challenge_failed", "Your sign-in did not meet your organization's access policy, even after verifying again. Contact your administrator.", problem ?? undefined, undefined, trace);
    }
    sessionStorage.setItem(attemptKey, JSON.stringify({ count: (attempts?.count ?? 0) + 1, claims } satisfies StepUpAttempts));
    sessionStorage.setItem(CLAIMS_NEEDED_KEY + path, claims);
    const authority = silentAuthority(account, authorityHost);
    return redirectToSignIn(msal, { scopes: [scope], account, claims, ...(authority ? { authority } : {}) });
  }

  // Refused before any of our code ran: a token or cookies too large for the server's header limit
  // (a user in very many groups whose token lists them all, a proxy with a small limit).
  if (response.status === 431 || response.status === 413) {
    throw new ApiCallError(response.status, "request_too_large", "Your sign-in carries more than the server accepts in one request (often: membership of very many groups). Sign out and sign in again; if it keeps happening, ask your administrator to limit the groups in this app's tokens (groups assigned to the application) or to use app roles.", problem ?? undefined, undefined, trace);
  }
  const retryAfter = Number(response.headers.get("retry-after"));
  throw new ApiCallError(
    response.status,
    problem?.code ?? "unexpected_response",
    problem?.detail ?? `The API answered ${response.status}.`,
    problem ?? undefined,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
    trace,
  );
}

/** The decoded `claims` of a 401 insufficient_claims challenge, or undefined. */
function claimsOf(response: Response): string | undefined {
  if (response.status !== 401) return undefined;
  const challenge = findChallenge(response.headers.get("www-authenticate"));
  return challenge?.params.error === "insufficient_claims" && challenge.params.claims ? decodeClaims(challenge.params.claims) : undefined;
}

/** A token asked for with a claims challenge, silently (the refresh token); throws when only the user can satisfy it. */
async function claimsToken({ msal, account, scope, authorityHost }: CallContext, claims: string): Promise<string> {
  const authority = silentAuthority(account, authorityHost);
  const result = await msal.acquireTokenSilent({ scopes: [scope], account, claims, ...(authority ? { authority } : {}) });
  return result.accessToken;
}

/** The problem body of a response without consuming it (the caller may read it again). */
async function peekProblem(response: Response): Promise<ProblemDetails | null> {
  return readProblem(response.clone());
}

async function readProblem(response: Response): Promise<ProblemDetails | null> {
  try {
    const body: unknown = await response.json();
    return isProblemDetails(body) ? body : null;
  } catch {
    return null;
  }
}

/** The challenge's `claims` is base64 (Entra uses the standard alphabet; accept base64url too). */
export function decodeClaims(encoded: string): string {
  const standard = encoded.replace(/-/g, "+").replace(/_/g, "/");
  const padded = standard + "=".repeat((4 - (standard.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}
