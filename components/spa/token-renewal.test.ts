/**
 * The SPA's token renewal policy with a stand-in for msal-browser's PublicClientApplication (the
 * real error classes, a fake seam): which silent failures lead to one sign-in redirect, and no
 * loop. The real flows (refresh token expired, iframe renewal, session gone) are e2e/renewal.spec.ts.
 */
import type { AccountInfo, IPublicClientApplication } from "@azure/msal-browser";

class MemoryStorage {
  private items = new Map<string, string>();
  getItem = (k: string) => this.items.get(k) ?? null;
  setItem = (k: string, v: string) => void this.items.set(k, v);
  removeItem = (k: string) => void this.items.delete(k);
}

const account = { homeAccountId: "h", username: "megan.bowen@contoso.test" } as AccountInfo;
const HERE = "http://localhost:3000/subscriptions?sort=name";
const CID = "00000000-0000-4000-8000-000000000001";

/** A fresh page load: module state reset (sessionStorage, like a tab's, survives unless told). */
async function loadPage() {
  jest.resetModules();
  const msalBrowser = await import("@azure/msal-browser");
  const renewal = await import("./token-renewal");
  return { ...msalBrowser, ...renewal };
}

function fakeMsal(silent: () => Promise<{ accessToken: string }>) {
  const redirects: unknown[] = [];
  const msal = {
    acquireTokenSilent: silent,
    acquireTokenRedirect: async (request: unknown) => {
      redirects.push(request);
    },
  } as unknown as IPublicClientApplication;
  return { msal, redirects };
}

beforeEach(() => {
  Object.assign(globalThis, { sessionStorage: new MemoryStorage(), window: { location: { href: HERE } } });
});

test("which silent failures signing in fixes", async () => {
  const { BrowserAuthError, InteractionRequiredAuthError, ServerError, isFixableBySignIn } = await loadPage();
  const cases: [string, unknown, boolean][] = [
    ["the hidden iframe timed out (msal-browser 5)", new BrowserAuthError("timed_out", CID), true],
    ["the hidden iframe timed out (msal-browser 2 name)", new BrowserAuthError("monitor_window_timeout", CID), true],
    ["prompt=none found no session", new InteractionRequiredAuthError("login_required", CID), true],
    ["refresh token expired (client-side clock)", new InteractionRequiredAuthError("refresh_token_expired", CID), true],
    ["refresh token refused (AADSTS700084)", new ServerError("invalid_grant", CID, "AADSTS700084: The refresh token was issued to a single page app (SPA)"), true],
    ["no network", new BrowserAuthError("no_network_connectivity", CID), false],
    ["identity provider busy", new ServerError("temporarily_unavailable", CID, "AADSTS90033"), false],
    ["a bug", new TypeError("x is undefined"), false],
  ];
  for (const [name, error, expected] of cases) expect([name, isFixableBySignIn(error)]).toEqual([name, expected]);
});

test("a silent renewal that timed out sends the user to sign in once, back to the same page", async () => {
  const { BrowserAuthError, InteractionStartedError, tokenFor } = await loadPage();
  const { msal, redirects } = fakeMsal(async () => {
    throw new BrowserAuthError("timed_out", CID);
  });
  await expect(tokenFor({ msal, account, scope: "api://x/access_as_user" })).rejects.toBeInstanceOf(InteractionStartedError);
  expect(redirects).toEqual([{ scopes: ["api://x/access_as_user"], account, redirectStartPage: HERE }]);
  // A second call while the page unloads does not start another redirect.
  await expect(tokenFor({ msal, account, scope: "api://x/access_as_user" })).rejects.toBeInstanceOf(InteractionStartedError);
  expect(redirects).toHaveLength(1);
});

test("no loop: failing again right after that redirect came back is explained instead", async () => {
  const before = await loadPage();
  const failing = fakeMsal(async () => {
    throw new before.InteractionRequiredAuthError("login_required", CID);
  });
  await expect(before.tokenFor({ msal: failing.msal, account, scope: "s" })).rejects.toBeInstanceOf(before.InteractionStartedError);

  const after = await loadPage(); // the redirect came back: new page, same tab storage
  const again = fakeMsal(async () => {
    throw new after.InteractionRequiredAuthError("login_required", CID);
  });
  await expect(after.tokenFor({ msal: again.msal, account, scope: "s" })).rejects.toBeInstanceOf(after.SignInRequiredError);
  expect(again.redirects).toHaveLength(0);
});

test("other failures go to the caller; a successful token ends the renewal episode", async () => {
  const page = await loadPage();
  const down = fakeMsal(async () => {
    throw new page.BrowserAuthError("no_network_connectivity", CID);
  });
  await expect(page.tokenFor({ msal: down.msal, account, scope: "s" })).rejects.toMatchObject({ errorCode: "no_network_connectivity" });
  expect(down.redirects).toHaveLength(0);

  sessionStorage.setItem("spa.renewal-redirect-at", String(Date.now()));
  const ok = fakeMsal(async () => ({ accessToken: "t" }));
  await expect(page.tokenFor({ msal: ok.msal, account, scope: "s", forceRefresh: true })).resolves.toBe("t");
  expect(sessionStorage.getItem("spa.renewal-redirect-at")).toBeNull();
});
