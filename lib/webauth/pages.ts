import type { WebAuthError } from "./errors";

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const STYLE = `
:root{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1f;background:#fff}
@media (prefers-color-scheme:dark){:root{color:#ececf1;background:#15161a}a{color:#6cb8ff}}
body{margin:0;line-height:1.5}main{max-width:44rem;margin:0 auto;padding:2rem 1rem}
h1{font-size:1.6rem;margin:0 0 1rem}.panel{border:1px solid #a4262c;border-radius:8px;padding:1rem;margin:1rem 0}
code{font-family:ui-monospace,Menlo,Consolas,monospace}.muted{opacity:.75;font-size:.9rem}
.actions{display:flex;gap:1rem;flex-wrap:wrap;margin-top:1.5rem}
`;

export interface ExplainedPageOptions {
  correlationId: string;
  /** Offer "Sign in again" (to /auth/login with this returnTo). */
  retryReturnTo?: string;
  /**
   * Users sign in at `organizations`: a tenant the app does not serve may be a B2B guest's home
   * tenant, so offer "Use a guest account" (the app's own organization's authority).
   */
  guestSignIn?: boolean;
}

/**
 * The explained page a sign-in failure ends on: what happened, what to do next, a correlation id
 * for support. Plain server-built HTML with a strict CSP (no script at all); every dynamic value
 * is escaped, the identity provider's text included.
 */
export function explainedPage(error: WebAuthError, options: ExplainedPageOptions): Response {
  const idp = error.idp
    ? `<p>Identity provider error: <code>${escapeHtml(error.idp.error)}</code></p>${
        error.idp.description ? `<p class="muted">${escapeHtml(error.idp.description)}</p>` : ""
      }`
    : "";
  // A tenant the app does not serve: signing in again must offer another account, not the same one.
  const otherAccount = error.code === "tenant_not_allowed";
  const retry =
    options.retryReturnTo !== undefined
      ? `<a href="/auth/login?returnTo=${encodeURIComponent(options.retryReturnTo)}${otherAccount ? "&amp;prompt=select_account" : ""}">${otherAccount ? "Sign in with another account" : "Sign in again"}</a>`
      : "";
  const guest =
    otherAccount && options.guestSignIn
      ? `<a href="/auth/login?returnTo=${encodeURIComponent(options.retryReturnTo ?? "/web")}&amp;tenant=home&amp;prompt=select_account">Use a guest account</a>`
      : "";
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(error.title)} · Identity on Next.js</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(error.title)}</h1>
<div class="panel" role="alert" data-error-code="${escapeHtml(error.code)}">
<p>${escapeHtml(error.detail)}</p>
${idp}
</div>
<div class="actions">${retry}${guest}<a href="/web">Back to the web app</a><a href="/">Home</a></div>
<p class="muted">Error code: <code>${escapeHtml(error.code)}</code> · Correlation id: <code>${escapeHtml(options.correlationId)}</code></p>
</main></body></html>`;
  return new Response(html, {
    status: error.status,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
      "x-correlation-id": options.correlationId,
    },
  });
}
