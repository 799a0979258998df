// HTML for the sign-in, account picker, verification, consent, device-login,
// sign-out and error pages. Plain accessible forms (labelled inputs, real
// buttons) so both people and Playwright's getByLabel/getByRole drive them.
// Every interpolated value goes through `esc`. The primary button comes first in
// the DOM (Enter submits it) and CSS shows it on the right.
import { randomBytes } from "node:crypto";

export function esc(value: unknown): string {
  return String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const STYLE = `
body{font-family:"Segoe UI",system-ui,-apple-system,sans-serif;background:#f2f2f2;margin:0;color:#1b1b1b}
main{max-width:440px;margin:48px auto;background:#fff;padding:36px 44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
.brand{font-size:14px;color:#5e5e5e;margin:0 0 12px}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
label{display:block;font-size:15px;margin:16px 0 4px}
input[type=text],input[type=password],input[type=email]{width:100%;box-sizing:border-box;padding:6px 2px;font-size:15px;border:0;border-bottom:1px solid #666}
input:focus{outline:2px solid #0067b8;outline-offset:2px}
.actions{display:flex;flex-direction:row-reverse;gap:8px;justify-content:flex-start;margin-top:24px}
button{font-size:15px;padding:6px 20px;min-width:108px;border:1px solid #0067b8;background:#0067b8;color:#fff;cursor:pointer}
button.secondary{background:#ccc;border-color:#ccc;color:#1b1b1b}
button.account{display:block;width:100%;text-align:left;background:#fff;color:#1b1b1b;border:0;border-bottom:1px solid #ddd;padding:12px 4px}
button:focus{outline:2px solid #000;outline-offset:2px}
.error{color:#e81123;margin:12px 0}
ul.scopes{padding-left:20px}
.note{font-size:13px;color:#5e5e5e;margin-top:24px}
code{background:#f4f4f4;padding:1px 4px}
`;

export interface Page {
  html: string;
  headers: Record<string, string>;
}

function layout(title: string, body: string, opts: { scriptNonce?: string; frameOrigins?: string[] } = {}): Page {
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "base-uri 'none'",
    // Like Entra's pages: never inside another site's frame (clickjacking). A silent renewal in a
    // hidden iframe gets a redirect, never a page; anything needing UI must go top-level.
    "frame-ancestors 'none'",
    opts.scriptNonce ? `script-src 'nonce-${opts.scriptNonce}'` : "script-src 'none'",
    ...(opts.frameOrigins?.length ? [`frame-src ${opts.frameOrigins.join(" ")}`] : []),
  ].join("; ");
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body><main>
<p class="brand">Microsoft identity platform &mdash; local emulator</p>
${body}
</main></body></html>`;
  return { html, headers: { "content-security-policy": csp, "x-frame-options": "DENY" } };
}

function errorBlock(error?: string): string {
  return error ? `<p class="error" role="alert" id="form-error">${esc(error)}</p>` : "";
}

export function signInPage(p: {
  pendingId: string;
  username?: string;
  error?: string;
  appName: string;
  deviceFlow: boolean;
}): Page {
  const describedBy = p.error ? ` aria-describedby="form-error"` : "";
  return layout(
    "Sign in to your account",
    `<h1>Sign in</h1>
<p>to continue to ${esc(p.appName)}</p>
${errorBlock(p.error)}
<form method="post" action="/_login/credentials">
<input type="hidden" name="pending" value="${esc(p.pendingId)}">
<label for="username">Email or username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="off" spellcheck="false" required value="${esc(p.username ?? "")}"${describedBy}${p.username ? "" : " autofocus"}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${p.username ? " autofocus" : ""}${describedBy}>
<div class="actions">
<button type="submit" name="action" value="signin">Sign in</button>
${p.deviceFlow ? `<button type="submit" name="action" value="cancel" class="secondary" formnovalidate>Cancel</button>` : ""}
</div>
</form>
<p class="note">Emulated tenant: sign in with one of the users listed in <code>tenant.json</code>.</p>`,
  );
}

export function accountPickerPage(p: {
  pendingId: string;
  appName: string;
  accounts: { oid: string; username: string; displayName: string; signedIn: boolean }[];
}): Page {
  const items = p.accounts
    .map(
      (a) => `<li><button type="submit" class="account" name="account" value="${esc(a.oid)}">${esc(a.username)}<br><small>${esc(a.displayName)}${a.signedIn ? " &middot; Signed in" : ""}</small></button></li>`,
    )
    .join("\n");
  return layout(
    "Pick an account",
    `<h1>Pick an account</h1>
<p>to continue to ${esc(p.appName)}</p>
<form method="post" action="/_login/account">
<input type="hidden" name="pending" value="${esc(p.pendingId)}">
<ul style="list-style:none;padding:0">${items}
<li><button type="submit" class="account" name="account" value="other">Use another account</button></li></ul>
</form>`,
  );
}

/**
 * Entra's "Pick an account" at sign-out, shown when the request names no signed-in account with
 * logout_hint: which account to sign out of. One real button per account.
 */
export function signOutAccountPickerPage(p: { pendingId: string; accounts: { oid: string; username: string; displayName: string; signedIn: boolean }[] }): Page {
  const items = p.accounts
    .map(
      (a) => `<li><button type="submit" class="account" name="account" value="${esc(a.oid)}">${esc(a.username)}<br><small>${esc(a.displayName)}${a.signedIn ? " &middot; Signed in" : ""}</small></button></li>`,
    )
    .join("\n");
  return layout(
    "Sign out",
    `<h1>Pick an account</h1>
<p>Which account do you want to sign out of?</p>
<form method="post" action="/_login/sign-out-account">
<input type="hidden" name="pending" value="${esc(p.pendingId)}">
<ul style="list-style:none;padding:0">${items}</ul>
</form>`,
  );
}

export function mfaPage(p: { pendingId: string; username: string; error?: string }): Page {
  return layout(
    "Verify your identity",
    `<h1>Verify your identity</h1>
<p>${esc(p.username)}: your organization requires multi-factor authentication. Enter the 6-digit code from your authenticator app (in this emulator any 6 digits work).</p>
${errorBlock(p.error)}
<form method="post" action="/_login/mfa">
<input type="hidden" name="pending" value="${esc(p.pendingId)}">
<label for="otc">Verification code</label>
<input id="otc" name="otc" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus>
<div class="actions"><button type="submit">Verify</button></div>
</form>`,
  );
}

export function consentPage(p: {
  pendingId: string;
  appName: string;
  username: string;
  scopes: { name: string; description: string }[];
  /** Admin consent (/adminconsent): the organization the grant is for. */
  forOrganization?: string;
}): Page {
  const items = p.scopes.map((s) => `<li><strong>${esc(s.description)}</strong><br><small><code>${esc(s.name)}</code></small></li>`).join("\n");
  const scope = p.forOrganization
    ? `<p><strong>Accept for your organization</strong></p>
<p><strong>${esc(p.appName)}</strong> (unverified, emulated) wants to:</p>
<ul class="scopes">${items}</ul>
<p>Signed in as ${esc(p.username)}. Accepting grants these permissions to this app for every user of ${esc(p.forOrganization)}; users will not be asked again.</p>`
    : `<p><strong>${esc(p.appName)}</strong> (unverified, emulated) wants to:</p>
<ul class="scopes">${items}</ul>
<p>Signed in as ${esc(p.username)}. Accepting lets this app use the permissions above until you revoke them.</p>`;
  return layout(
    "Permissions requested",
    `<h1>Permissions requested</h1>
${scope}
<form method="post" action="/_login/consent">
<input type="hidden" name="pending" value="${esc(p.pendingId)}">
<div class="actions">
<button type="submit" name="action" value="accept">Accept</button>
<button type="submit" name="action" value="cancel" class="secondary">Cancel</button>
</div>
</form>`,
  );
}

/** Entra's "Need admin approval": the user may not consent; the only way on is back to the app. */
export function adminApprovalPage(p: { pendingId: string; appName: string; code: number; message: string }): Page {
  return layout(
    "Need admin approval",
    `<h1>Need admin approval</h1>
<p><strong>${esc(p.appName)}</strong> (unverified, emulated) needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>
<form method="post" action="/_login/consent">
<input type="hidden" name="pending" value="${esc(p.pendingId)}">
<div class="actions">
<button type="submit" name="action" value="return">Return to the application without granting consent</button>
</div>
</form>
<p class="note">AADSTS${esc(p.code)}: ${esc(p.message)}</p>`,
  );
}

export function deviceCodeEntryPage(p: { error?: string; code?: string } = {}): Page {
  return layout(
    "Enter code",
    `<h1>Enter code</h1>
<p>Enter the code displayed on your app or device.</p>
${errorBlock(p.error)}
<form method="post" action="/devicelogin">
<label for="otc">Code</label>
<input id="otc" name="otc" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus value="${esc(p.code ?? "")}">
<div class="actions"><button type="submit">Next</button></div>
</form>`,
  );
}

export function messagePage(title: string, message: string): Page {
  return layout(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}

export function errorPage(p: { title: string; code: number; message: string; correlationId: string }): Page {
  return layout(
    p.title,
    `<h1>${esc(p.title)}</h1>
<p role="alert">AADSTS${esc(p.code)}: ${esc(p.message)}</p>
<p class="note">Correlation ID: ${esc(p.correlationId)}<br>Timestamp: ${esc(new Date().toISOString())}</p>`,
  );
}

/**
 * The end of a sign-out, like Entra's: hidden iframes load the front-channel logout URL of every
 * app the session signed in to; once they have all loaded (or after 5 s, so one broken app cannot
 * hold the user), a script follows the "Continue" link to the validated post-logout redirect URI.
 */
export function signOutPage(p: { frames: { url: string; appName: string }[]; returnTo?: string }): Page {
  const nonce = randomBytes(16).toString("base64");
  const iframes = p.frames
    .map((f) => `<iframe src="${esc(f.url)}" title="Signing you out of ${esc(f.appName)}" hidden></iframe>`)
    .join("\n");
  const back = p.returnTo
    ? `<p><a id="continue" href="${esc(p.returnTo)}">Continue</a></p>
<script nonce="${nonce}">(function(){var f=document.querySelectorAll("iframe"),left=f.length,done=false;function go(){if(!done){done=true;location.replace(document.getElementById("continue").href);}}
f.forEach(function(el){el.addEventListener("load",function(){if(--left<=0)go();});});if(left===0)go();setTimeout(go,5000);})();</script>`
    : "";
  const origins = [...new Set(p.frames.map((f) => new URL(f.url).origin))];
  return layout(
    "You signed out of your account",
    `<h1>You signed out of your account</h1>
<p>${p.returnTo ? "Signing you out of the apps you used, then taking you back." : "It's a good idea to close all browser windows."}</p>
${iframes}
${back}`,
    { scriptNonce: p.returnTo ? nonce : undefined, frameOrigins: origins },
  );
}

/** response_mode=form_post: an auto-submitting form (with a button for no-script browsers). */
export function formPostPage(action: string, fields: Record<string, string>): Page {
  const nonce = randomBytes(16).toString("base64");
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join("\n");
  return layout(
    "Working...",
    `<h1>Working...</h1>
<form method="post" action="${esc(action)}" id="fp">${inputs}
<noscript><button type="submit">Continue</button></noscript></form>
<script nonce="${nonce}">document.getElementById("fp").submit();</script>`,
    { scriptNonce: nonce },
  );
}

export function indexPage(p: { baseUrl: string; tenantId: string; tenantName: string }): Page {
  const d = `${p.baseUrl}/${p.tenantId}/v2.0/.well-known/openid-configuration`;
  return layout(
    "Identity emulator",
    `<h1>Identity emulator</h1>
<p>Local stand-in for the Microsoft identity platform (${esc(p.tenantName)}). Development and tests only.</p>
<ul>
<li>OpenID configuration: <a href="${esc(d)}">${esc(d)}</a></li>
<li>Device login: <a href="${esc(p.baseUrl)}/devicelogin">${esc(p.baseUrl)}/devicelogin</a></li>
</ul>`,
  );
}
