"use client";

import { ApiCallError, InteractionStartedError } from "./api-client";
import { ConsentPanel, TenantNotAllowedPanel } from "./consent-panel";
import { RoleRequiredPanel } from "./role-required-panel";

/**
 * What went wrong and what to do next, for every failure an API call can end in. Never a
 * blank page, never a stack trace.
 */
export function ErrorPanel({ error, onRetry }: { error: Error; onRetry: () => void }) {
  if (error instanceof InteractionStartedError) {
    return (
      <p role="status" aria-live="polite">
        Taking you to the identity provider…
      </p>
    );
  }

  if (error instanceof ApiCallError && error.code === "consent_required") return <ConsentPanel error={error} onRetry={onRetry} />;
  if (error instanceof ApiCallError && error.code === "tenant_not_allowed") return <TenantNotAllowedPanel error={error} />;
  if (error instanceof ApiCallError && error.code === "role_required") return <RoleRequiredPanel error={error} />;

  const { title, advice } = describe(error);
  return (
    <section className="panel error" role="alert" aria-labelledby="error-heading">
      <h2 id="error-heading">{title}</h2>
      <p>{advice}</p>
      {error instanceof ApiCallError && error.problem?.correlationId ? (
        <p className="muted">
          Correlation id: <code>{error.problem.correlationId}</code>
        </p>
      ) : null}
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </section>
  );
}

function describe(error: Error): { title: string; advice: string } {
  if (!(error instanceof ApiCallError)) {
    return { title: "Could not get a token", advice: "Signing in again usually fixes this. If it keeps happening, sign out and back in." };
  }
  const wait = error.retryAfterSeconds ? ` Try again in ${error.retryAfterSeconds} seconds.` : " Try again in a moment.";
  switch (error.code) {
    case "downstream_throttled":
    case "downstream_unavailable":
    case "idp_unavailable":
      return { title: "The service is busy or unavailable", advice: (error.problem?.detail ?? "A service behind this app is not answering.") + wait };
    case "downstream_timeout":
      return { title: "The service took too long", advice: (error.problem?.detail ?? "A service behind this app did not answer in time.") + wait };
    case "network_error":
      return { title: "The app's API could not be reached", advice: error.message };
    case "claims_challenge_failed":
      return { title: "Access policy not satisfied", advice: error.message };
    case "request_too_large":
      return { title: "Your sign-in is too large to send", advice: error.message };
    case "invalid_token":
    case "missing_token":
      return { title: "Your session expired", advice: "Sign out and sign in again." };
    default:
      return {
        title: error.status >= 500 ? "The app's API failed" : "The request was refused",
        advice: error.problem?.detail ?? `The API answered with status ${error.status}.`,
      };
  }
}
