"use client";

import type { ApiCallError } from "./api-client";
import { useSession } from "./use-session";

const VIEW_NAMES: Record<string, string> = { subscriptions: "Subscriptions", directory: "Directory" };

/**
 * 403 role_required: signed in fine, but this view needs an app role (or group) the user does not
 * hold. Not an error trace: who to ask, for what, and when it takes effect. Nothing to retry.
 */
export function RoleRequiredPanel({ error }: { error: ApiCallError }) {
  const session = useSession();
  const role = error.problem?.requiredRole;
  const view = VIEW_NAMES[error.problem?.view ?? ""] ?? "this";
  const username = session.status === "signed-in" ? session.account.username : undefined;
  return (
    <section className="panel" aria-labelledby="role-heading" data-problem-code="role_required">
      <h2 id="role-heading">Ask your admin for access</h2>
      <p>
        You are signed in{username ? <> as {username}</> : null}, but the {view} view is only for people who have been given access to it.
      </p>
      <p>
        Ask an administrator of your organization to assign you the app role {role ? <code>{role}</code> : "this view needs"} on this app&apos;s
        API (Microsoft Entra admin center &gt; Enterprise applications &gt; the app&apos;s API &gt; Users and groups), or to add you to a group
        that grants it. It takes effect the next time you sign in.
      </p>
      {error.problem?.correlationId ? (
        <p className="muted">
          Correlation id: <code>{error.problem.correlationId}</code>
        </p>
      ) : null}
    </section>
  );
}
