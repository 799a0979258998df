import type { WebViewState } from "@/lib/webauth/views";

/**
 * What a server-rendered view shows when it has no data to show: not configured, signed out, a
 * refusal that says which app role to ask an administrator for, or an error with its code.
 */
export function ViewStatePanel({ state, returnTo }: { state: Exclude<WebViewState<unknown>, { kind: "ok" } | { kind: "redirect" }>; returnTo: string }) {
  switch (state.kind) {
    case "not_configured":
      return (
        <section className="panel error" role="alert">
          <h2>Web app sign-in is not configured</h2>
          <p>
            Set <code>AZURE_WEB_CLIENT_ID</code> and <code>AZURE_WEB_CLIENT_SECRET</code>
            {state.emulator ? " (or restart with `npm run dev`, which sets both)" : ""}: see <a href="/web">the web app</a>.
          </p>
        </section>
      );
    case "signed_out":
      return (
        <section className="panel" aria-labelledby="signed-out-heading">
          <h2 id="signed-out-heading" style={{ marginTop: 0 }}>
            Sign in to see this page
          </h2>
          <a className="button" href={`/auth/login?returnTo=${encodeURIComponent(returnTo)}`}>
            Sign in
          </a>
        </section>
      );
    case "role_required":
      return (
        <section className="panel" aria-labelledby="role-heading" data-problem-code="role_required">
          <h2 id="role-heading">Ask your admin for access</h2>
          <p>
            You are signed in as {state.user.username}, but this page is only for people who have been given access to it. Ask an
            administrator of your organization to assign you the app role <code>{state.role}</code> on this app&apos;s API (Microsoft Entra
            admin center &gt; Enterprise applications &gt; the app&apos;s API &gt; Users and groups), or to add you to a group that grants
            it. It takes effect the next time you sign in.
          </p>
          <p className="muted">Correlation id: {state.correlationId}</p>
        </section>
      );
    case "error":
      return (
        <section className="panel error" role="alert" aria-labelledby="view-error-heading" data-error-code={state.error.code}>
          <h2 id="view-error-heading">{state.error.title}</h2>
          <p>{state.error.detail}</p>
          <p className="muted">
            Error code: <code>{state.error.code}</code> · Correlation id: <code>{state.correlationId}</code>
          </p>
        </section>
      );
  }
}
