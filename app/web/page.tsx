import { redirect } from "next/navigation";
import type { DisplayClaims } from "@/lib/webauth/claims";
import type { GraphMeResult } from "@/lib/webauth/graph";
import { loadWebPage, type PageError } from "@/lib/webauth/page-data";

/**
 * /web: the server-rendered web app (the Flask/Graph samples' "call Graph /me and show the JSON"
 * page). Rendered per request on the server: session cookie -> the user's token cache partition ->
 * Graph. No token, and no identity library, is ever sent to the browser.
 */
export default async function WebPage() {
  const state = await loadWebPage("/web");
  // Outside any try: redirect() works by throwing. Silent token acquisition needs the user
  // (consent, MFA, expired refresh token): send them through sign-in again, then back here.
  if (state.kind === "redirect") redirect(state.location);

  return (
    <main id="main">
      <h1>Server-rendered web app</h1>
      <p>
        This page is rendered on the server. Sign-in uses the authorization code flow with PKCE between this app&apos;s
        server and the identity provider; the tokens stay on the server, and your browser only holds an encrypted
        cookie that says who you are.
      </p>
      <ol className="flow" aria-label="How this page gets your profile">
        <li>Browser</li>
        <li>This app&apos;s server (authorization code + PKCE)</li>
        <li>Identity provider</li>
        <li>Microsoft Graph /me</li>
      </ol>
      {state.kind === "not_configured" ? <NotConfigured emulator={state.emulator} /> : null}
      {state.kind === "signed_out" ? <SignedOut /> : null}
      {state.kind === "error" ? <ErrorPanel error={state.error} correlationId={state.correlationId} signedIn={state.user !== undefined} /> : null}
      {state.kind === "signed_in" ? (
        <>
          <p>
            Signed in as <strong>{state.user.name}</strong> ({state.user.username}).
          </p>
          <GraphSection graph={state.graph} />
          <TokenSection token={state.token} />
          <p className="muted">Correlation id: {state.correlationId}</p>
        </>
      ) : null}
    </main>
  );
}

function SignedOut() {
  return (
    <section className="panel" aria-labelledby="signed-out-heading">
      <h2 id="signed-out-heading" style={{ marginTop: 0 }}>
        Sign in to see your profile
      </h2>
      <p>
        Signing in sends you to the identity provider. It sends you back to <code>/auth/callback</code> with a one-time
        code, which this server redeems for tokens and keeps in a per-user, server-side token cache. Then this page calls
        Microsoft Graph <code>/me</code> for you and shows the result.
      </p>
      <a className="button" href="/auth/login?returnTo=%2Fweb">
        Sign in
      </a>
    </section>
  );
}

function NotConfigured({ emulator }: { emulator: boolean }) {
  return (
    <section className="panel error" role="alert" aria-labelledby="not-configured-heading">
      <h2 id="not-configured-heading">Web app sign-in is not configured</h2>
      <p>The server-rendered web app is a confidential client with its own app registration. To turn it on, set:</p>
      <ul>
        <li>
          <code>AZURE_WEB_CLIENT_ID</code>: the web app registration&apos;s Application (client) ID
        </li>
        <li>
          <code>AZURE_WEB_CLIENT_SECRET</code>: a client secret of that registration (Certificates &amp; secrets)
        </li>
        <li>
          optionally <code>GRAPH_SCOPES</code> (default <code>https://graph.microsoft.com/User.Read</code>)
        </li>
      </ul>
      <p>
        In the registration, add the <strong>Web</strong> platform redirect URIs <code>&lt;your origin&gt;/auth/callback</code> and{" "}
        <code>&lt;your origin&gt;/web</code> (where sign-out returns), and the front-channel logout URL{" "}
        <code>&lt;your origin&gt;/auth/frontchannel-logout</code>. Then restart the app.
        {emulator ? " (The identity emulator normally sets both variables: restart with `npm run dev`.)" : " Or remove the tenant variables and run `npm run dev` to use the bundled identity emulator."}
      </p>
    </section>
  );
}

function ErrorPanel({ error, correlationId, signedIn }: { error: PageError; correlationId: string; signedIn: boolean }) {
  return (
    <section className="panel error" role="alert" aria-labelledby="web-error-heading" data-error-code={error.code}>
      <h2 id="web-error-heading">{error.title}</h2>
      <p>{error.detail}</p>
      <p className="muted">
        Error code: <code>{error.code}</code> · Correlation id: <code>{correlationId}</code>
      </p>
      {signedIn ? null : (
        <a className="button" href="/auth/login?returnTo=%2Fweb">
          Sign in
        </a>
      )}
    </section>
  );
}

function GraphSection({ graph }: { graph: GraphMeResult }) {
  if (!graph.ok) {
    return (
      <section className="panel error" role="alert" aria-labelledby="graph-heading" data-error-code={graph.code}>
        <h2 id="graph-heading">Microsoft Graph did not return your profile</h2>
        <p>{graph.message}</p>
        <p className="muted">
          HTTP {graph.status} · <code>{graph.code}</code>
          {graph.retryAfterSeconds ? ` · retry after ${graph.retryAfterSeconds} s` : ""}
        </p>
        <a className="button secondary" href="/web">
          Try again
        </a>
      </section>
    );
  }
  const p = graph.profile;
  const rows: [string, unknown][] = [
    ["Name", p.displayName],
    ["User principal name", p.userPrincipalName],
    ["Mail", p.mail],
    ["Job title", p.jobTitle],
    ["Office", p.officeLocation],
    ["Object id", p.id],
  ];
  return (
    <>
      <section aria-labelledby="profile-heading">
        <h2 id="profile-heading">Your profile</h2>
        <p className="muted">
          From <code>GET /me</code> on Microsoft Graph, called by this server with your token ({Math.round(graph.durationMs)} ms).
        </p>
        <dl className="profile" aria-label="Profile">
          {rows.map(([label, value]) => (
            <Row key={label} label={label} value={typeof value === "string" && value ? value : "—"} />
          ))}
        </dl>
      </section>
      <section aria-labelledby="raw-heading">
        <h2 id="raw-heading">Raw response</h2>
        <pre aria-label="Raw Microsoft Graph response" tabIndex={0}>
          {graph.rawJson}
        </pre>
      </section>
    </>
  );
}

function Row({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
}

function formatTime(d: Date): string {
  return new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "long", timeZone: "UTC" }).format(d);
}

function TokenSection({ token }: { token: { claims?: DisplayClaims; expiresOn: Date | null; fromCache: boolean; scopes: string[] } }) {
  const c = token.claims;
  const expires = c?.expiresAt ?? token.expiresOn ?? undefined;
  return (
    <section aria-labelledby="token-heading">
      <h2 id="token-heading">What is in the access token</h2>
      <p className="muted">
        The Graph access token&apos;s non-secret claims, decoded on the server for learning. The token itself never leaves
        the server. It came from {token.fromCache ? "the server-side token cache" : "the identity provider (just now)"}.
      </p>
      {c ? (
        <dl className="profile" aria-label="Access token claims">
          <Row label="Issuer (iss)" value={c.issuer ?? "—"} />
          <Row label="Audience (aud)" value={c.audience ?? "—"} />
          <Row label="Scopes (scp)" value={c.scopes?.join(" ") ?? "—"} />
          {c.roles ? <Row label="Roles (roles)" value={c.roles.join(" ")} /> : null}
          <Row label="Expires (exp)" value={expires ? <time dateTime={expires.toISOString()}>{formatTime(expires)}</time> : "—"} />
          <Row label="Tenant (tid)" value={c.tenantId ?? "—"} />
          <Row label="Object id (oid)" value={c.objectId ?? "—"} />
          <Row label="Token version (ver)" value={c.version ?? "—"} />
          <Row label="Client app (azp)" value={c.clientAppId ?? "—"} />
        </dl>
      ) : (
        <p>
          This access token is not a JWT this app can decode (some resources issue tokens that are opaque to clients). Scopes
          granted: {token.scopes.join(" ")}.
        </p>
      )}
    </section>
  );
}
