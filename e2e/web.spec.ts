import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { control, credentials, tenant } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";

/**
 * The server-rendered web app (/web): sign-in with the authorization code flow on the server,
 * an iron-session cookie in the browser, tokens only on the server.
 */
const MEGAN = "megan.bowen@contoso.test";
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}/;

/**
 * Records every response body the app itself sends (documents, RSC payloads, JSON), to scan for
 * tokens. Each body is read as its response arrives; `settled()` waits for every read, so a scan
 * never runs before the last body is in, and a body that could not be read is a failure reported
 * by the scan, never skipped in silence (it could be the one carrying a token).
 */
interface ResponseRecorder {
  settled(): Promise<{ bodies: string[]; unread: string[] }>;
}

function recordAppResponses(page: Page, baseURL: string): ResponseRecorder {
  const bodies: string[] = [];
  const unread: string[] = [];
  const reads: Promise<void>[] = [];
  page.on("response", (response) => {
    if (!response.url().startsWith(baseURL)) return;
    const status = response.status();
    if (status >= 300 && status < 400) return; // a redirect has no body (Location is all it says)
    const type = response.headers()["content-type"] ?? "";
    if (!/text\/html|text\/x-component|json/.test(type)) return;
    reads.push(
      response.text().then(
        (text) => void bodies.push(`${response.url()}\n${text}`),
        (error: unknown) => void unread.push(`${response.request().method()} ${response.url()} (${status}): ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
  });
  return {
    async settled() {
      // A read may start while earlier ones finish: wait until no new one appeared.
      for (let seen = -1; seen !== reads.length; ) {
        seen = reads.length;
        await Promise.all(reads);
      }
      return { bodies: [...bodies], unread: [...unread] };
    },
  };
}

/** Asserts the browser holds no access token anywhere script or the user could reach. */
async function expectNoTokensInBrowser(page: Page, context: BrowserContext, recorder: ResponseRecorder) {
  for (const cookie of await context.cookies()) {
    expect(cookie.value, `cookie ${cookie.name}`).not.toMatch(JWT);
  }
  const storage = await page.evaluate(() => {
    const dump = (s: Storage) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i) ?? "")}`);
    return [...dump(window.localStorage), ...dump(window.sessionStorage)];
  });
  for (const entry of storage) expect(entry).not.toMatch(JWT);
  expect(storage.filter((e) => e.toLowerCase().includes("msal"))).toEqual([]);
  expect(await page.content()).not.toMatch(JWT);
  const { bodies, unread } = await recorder.settled();
  expect(unread, "response bodies that could not be read, so were not scanned").toEqual([]);
  expect(bodies.length, "response bodies scanned").toBeGreaterThan(0);
  for (const body of bodies) expect(JWT.test(body), `token-like string in ${body.split("\n")[0]}`).toBe(false);
}

async function expectSignedOut(page: Page) {
  await expect(page.getByRole("heading", { name: "Sign in to see your profile" })).toBeVisible();
  await expect(page.getByRole("banner").getByRole("link", { name: "Sign in" })).toBeVisible();
}

test.beforeEach(async () => {
  await control("/reset", {});
});

test("sign in on the server, see the Graph profile, reload, sign out; no token ever reaches the browser", async ({ page, context, baseURL }) => {
  const recorder = recordAppResponses(page, baseURL ?? "");
  await page.goto("/web");
  await expectSignedOut(page);

  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page).toHaveURL(`${baseURL}/web`);

  const profile = page.getByLabel("Profile", { exact: true });
  await expect(profile).toContainText("Megan Bowen");
  await expect(profile).toContainText(MEGAN);
  await expect(profile).toContainText("Marketing Manager");
  await expect(page.getByRole("banner")).toContainText("Megan Bowen");
  await expect(page.getByLabel("Raw Microsoft Graph response")).toContainText('"displayName": "Megan Bowen"');
  const claims = page.getByLabel("Access token claims");
  await expect(claims).toContainText("User.Read");
  await expect(claims).toContainText(tenant().graphResource);
  await expect(claims.locator("time")).toHaveAttribute("datetime", /^\d{4}-\d\d-\d\dT/);

  // The session cookie: encrypted, HttpOnly, SameSite=Lax, and nothing else was set by the app.
  const appCookies = (await context.cookies(baseURL)).filter((c) => c.name.includes("web-session"));
  expect(appCookies).toHaveLength(1);
  expect(appCookies[0]).toMatchObject({ name: "web-session", httpOnly: true, sameSite: "Lax", path: "/" });
  expect(await page.evaluate(() => document.cookie)).not.toContain("web-session");

  await page.reload();
  await expect(profile).toContainText("Megan Bowen");
  await expect(page.getByText("It came from the server-side token cache")).toBeVisible();
  await expectNoTokensInBrowser(page, context, recorder);

  await page.getByRole("banner").getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${baseURL}/web`);
  await expectSignedOut(page);
  expect((await context.cookies(baseURL)).filter((c) => c.name.includes("web-session"))).toEqual([]);
  await page.reload();
  await expectSignedOut(page);
  await expectNoTokensInBrowser(page, context, recorder);
});

test("when the identity provider needs the user again (consent revoked), /web sends them through sign-in, not to an error", async ({ page, baseURL }) => {
  await control("/token-lifetime", { seconds: 60 }); // inside MSAL's refresh window: every render refreshes
  await page.goto("/auth/login?returnTo=%2Fweb");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");

  await control("/consent/revoke", { clientId: tenant().apps.web.clientId, username: MEGAN });
  await page.reload();
  // The refresh fails with consent_required: the page redirects to /auth/login, the IdP asks again.
  await expect(page.getByRole("heading", { name: "Permissions requested" })).toBeVisible();
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page).toHaveURL(`${baseURL}/web`);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
});

test("returnTo pointing at another origin ends on /web, not off-site", async ({ page, baseURL }) => {
  await page.goto(`/auth/login?returnTo=${encodeURIComponent("https://evil.example/phish")}`);
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page).toHaveURL(`${baseURL}/web`);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");

  // Signed in at the identity provider now, so these round trips need no form.
  for (const evil of ["//evil.example", "/\\evil.example", "/%2F%2Fevil.example", "javascript:alert(1)"]) {
    await page.goto(`/auth/login?returnTo=${encodeURIComponent(evil)}`);
    await expect(page).toHaveURL(`${baseURL}/web`);
  }
});

test("a forged or replayed callback, and a tampered cookie, end in an explained state", async ({ page, context, baseURL }) => {
  const forged = await page.goto("/auth/callback?code=stolen&state=forged");
  expect(forged?.status()).toBe(400);
  await expect(page.getByRole("heading", { level: 1, name: "No sign-in in progress" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Sign in again" })).toBeVisible();

  const idpError = await page.goto(`/auth/callback?error=access_denied&error_description=${encodeURIComponent("<script>alert(1)</script>")}`);
  expect(idpError?.status()).toBe(400);
  // Nobody started this sign-in here: the planted description is not shown at all.
  await expect(page.getByRole("heading", { level: 1, name: "No sign-in in progress" })).toBeVisible();
  await expect(page.getByRole("alert")).not.toContainText("alert(1)");

  // Replay: capture the callback URL of a real sign-in, then visit it again.
  let callbackUrl = "";
  page.on("request", (r) => {
    if (r.url().startsWith(`${baseURL}/auth/callback?code=`)) callbackUrl = r.url();
  });
  await page.goto("/auth/login?returnTo=%2Fweb");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page).toHaveURL(`${baseURL}/web`);
  expect(callbackUrl).not.toBe("");
  const replay = await page.goto(callbackUrl);
  expect(replay?.status()).toBe(400);
  await expect(page.getByRole("heading", { level: 1, name: "This sign-in response was already used" })).toBeVisible();
  await page.goto("/web");
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");

  // A tampered session cookie reads as signed out (no error page, no stack trace).
  const [cookie] = (await context.cookies(baseURL)).filter((c) => c.name === "web-session");
  expect(cookie).toBeDefined();
  await context.addCookies([{ ...cookie!, value: `${cookie!.value.slice(0, -8)}AAAAAAAA` }]);
  const response = await page.goto("/web");
  expect(response?.status()).toBe(200);
  await expectSignedOut(page);
});

test("sign-out is POST-only and refuses other origins", async ({ page, request, baseURL }) => {
  const get = await request.get("/auth/logout", { maxRedirects: 0 });
  expect(get.status()).toBe(405);
  const forged = await request.post("/auth/logout", { headers: { origin: "https://evil.example" }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  const same = await request.post("/auth/logout", { headers: { origin: baseURL ?? "" }, maxRedirects: 0 });
  expect(same.status()).toBe(303);
  await page.goto("/web");
  await expectSignedOut(page);
});
