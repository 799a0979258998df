import { expect, test, type Page, type Route } from "@playwright/test";
import { SignInRefusedError, signInWhereAsked, signOutWhereAsked } from "./support/sign-in";

/**
 * The Entra ID page object (e2e/support/sign-in/entra-sign-in-page.ts) against stand-ins for
 * Entra's pages, served by Playwright at login.microsoftonline.com (nothing leaves the machine).
 * They carry the element ids and names Microsoft's own browser tests drive (loginfmt #i0116,
 * passwd #i0118, #idSIButton9, #idBtn_Back, DontShowAgain, #tilesHolder / #otherTile,
 * #passwordError, #idDiv_SAOTCAS_Title): this proves the page object's choice and order of steps,
 * not that Entra still looks like this (the deployed suite against a real tenant does that).
 */
const APP = "https://contoso-identity.example";
const ENTRA = "https://login.microsoftonline.com";
const USER = { username: "e2e.tester@contoso.example", password: "a-password-only-this-test-knows" };

type View = "picker" | "pickerWithUser" | "email" | "password" | "wrongPassword" | "staySignedIn" | "consent" | "mfa" | "signOutPicker" | "signedOut";

const form = (body: string) => `<form method="post" action="${ENTRA}/common/login">${body}</form>`;
const VIEWS: Record<View, string> = {
  picker: form(`<div role="heading">Pick an account</div><div id="tilesHolder">
    <button type="submit" name="tile" value="other-user" data-test-id="someone.else@contoso.example">someone.else@contoso.example</button>
    <button type="submit" name="tile" value="another" id="otherTile">Use another account</button></div>`),
  pickerWithUser: form(`<div role="heading">Pick an account</div><div id="tilesHolder">
    <button type="submit" name="tile" value="user" data-test-id="E2E.Tester@contoso.example">E2E.Tester@contoso.example<br>Signed in</button>
    <button type="submit" name="tile" value="another" id="otherTile">Use another account</button></div>`),
  email: form(`<div role="heading">Sign in</div><input type="email" name="loginfmt" id="i0116" aria-label="Enter your email, phone, or Skype.">
    <input type="submit" id="idSIButton9" value="Next">`),
  password: form(`<div role="heading">Enter password</div><input name="passwd" type="password" id="i0118" aria-label="Enter the password">
    <input type="submit" id="idSIButton9" value="Sign in">`),
  wrongPassword: form(`<div role="heading">Enter password</div><div id="passwordError" role="alert">Your account or password is incorrect.</div>
    <input name="passwd" type="password" id="i0118" aria-label="Enter the password"><input type="submit" id="idSIButton9" value="Sign in">`),
  staySignedIn: form(`<div role="heading">Stay signed in?</div><input type="checkbox" name="DontShowAgain" id="KmsiCheckboxField" aria-label="Don't show this again">
    <input type="submit" id="idBtn_Back" name="kmsi" value="No"><input type="submit" id="idSIButton9" name="kmsi" value="Yes">`),
  consent: form(`<h1>Permissions requested</h1><p>Contoso Identity Reference SPA wants to sign you in.</p>
    <input type="submit" id="idBtn_Back" name="consent" value="Cancel"><input type="submit" id="idSIButton9" name="consent" value="Accept">`),
  mfa: `<div id="idDiv_SAOTCAS_Title" role="heading">Approve sign in request</div><p>Open your Authenticator app.</p>`,
  signOutPicker: form(`<div role="heading">Pick an account</div><p>Which account do you want to sign out of?</p>
    <button type="submit" name="tile" value="user" data-test-id="e2e.tester@contoso.example">e2e.tester@contoso.example</button>`),
  // Entra returns to the registered post-logout address by itself.
  signedOut: `<h1>You signed out of your account</h1><meta http-equiv="refresh" content="1;url=${APP}/signed-out">`,
};

/**
 * Serves the app (a "Sign in" link, a signed-in page with "Sign out") and Entra's views: `signIn`
 * in order from the authorize request on, `signOut` from the logout request on. Records the posts.
 */
async function standIns(page: Page, signIn: View[], signOut: View[] = []): Promise<{ posts: Record<string, string>[] }> {
  const posts: Record<string, string>[] = [];
  let queue = [...signIn];
  const html = (body: string) => `<!doctype html><html lang="en"><head><title>stand-in</title></head><body><main>${body}</main></body></html>`;
  await page.context().route(`${APP}/**`, (route: Route) => {
    const path = new URL(route.request().url()).pathname;
    const body =
      path === "/signed-in"
        ? `<header role="banner"><button onclick="location.href='${ENTRA}/common/oauth2/v2.0/logout'">Sign out</button></header>`
        : path === "/signed-out"
          ? `<header role="banner"><a href="${ENTRA}/common/oauth2/v2.0/authorize">Sign in</a></header>`
          : `<a href="${ENTRA}/common/oauth2/v2.0/authorize">Sign in</a>`;
    return route.fulfill({ contentType: "text/html", body: html(body) });
  });
  let signingOut = false;
  await page.context().route(`${ENTRA}/**`, (route: Route) => {
    if (new URL(route.request().url()).pathname.endsWith("/logout")) {
      signingOut = true;
      queue = [...signOut];
    }
    if (route.request().method() === "POST") posts.push(Object.fromEntries(new URLSearchParams(route.request().postData() ?? "")));
    const next = queue.shift();
    if (!next) return route.fulfill({ status: 302, headers: { location: `${APP}${signingOut ? "/signed-out" : "/signed-in"}` } });
    return route.fulfill({ contentType: "text/html", body: html(VIEWS[next]) });
  });
  return { posts };
}

async function startSignIn(page: Page) {
  await page.goto(`${APP}/`);
  await page.getByRole("link", { name: "Sign in" }).click();
}
const signedIn = (page: Page) => page.getByRole("banner").getByRole("button", { name: "Sign out" });

test("another account, email, password, 'Stay signed in?' No, consent Accept: back on the app", async ({ page }) => {
  const { posts } = await standIns(page, ["picker", "email", "password", "staySignedIn", "consent"]);
  await startSignIn(page);
  const idp = await signInWhereAsked(page, USER, APP, signedIn(page));
  expect(idp).toBe(ENTRA);
  await expect(page).toHaveURL(`${APP}/signed-in`);
  expect(posts).toEqual([{ tile: "another" }, { loginfmt: USER.username }, { passwd: USER.password }, { kmsi: "No" }, { consent: "Accept" }]);
});

test("the user's own tile in the account picker (any case), then the password", async ({ page }) => {
  const { posts } = await standIns(page, ["pickerWithUser", "password"]);
  await startSignIn(page);
  await signInWhereAsked(page, USER, APP, signedIn(page));
  expect(posts).toEqual([{ tile: "user" }, { passwd: USER.password }]);
});

test("a refused password ends the sign-in with Entra's words, not a time-out", async ({ page }) => {
  await standIns(page, ["email", "password", "wrongPassword"]);
  await startSignIn(page);
  const failure = await signInWhereAsked(page, USER, APP, signedIn(page)).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(SignInRefusedError);
  expect(String(failure)).toContain("Your account or password is incorrect.");
  expect(String(failure)).not.toContain(USER.password);
});

test("an MFA prompt stops the run and says how to exempt the test user", async ({ page }) => {
  await standIns(page, ["email", "password", "mfa"]);
  await startSignIn(page);
  const failure = await signInWhereAsked(page, USER, APP, signedIn(page)).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(SignInRefusedError);
  expect(String(failure)).toContain("multi-factor authentication");
  expect(String(failure)).toContain("Conditional Access");
});

test("sign-out: the account to sign out is picked, then Entra returns to the app", async ({ page }) => {
  const { posts } = await standIns(page, ["email", "password"], ["signOutPicker", "signedOut"]);
  await startSignIn(page);
  await signInWhereAsked(page, USER, APP, signedIn(page));
  await signOutWhereAsked(page, USER, APP, () => signedIn(page).click(), page.getByRole("banner").getByRole("link", { name: "Sign in" }));
  await expect(page).toHaveURL(`${APP}/signed-out`);
  expect(posts.at(-1)).toEqual({ tile: "user" });
});
