import { expect, test } from "@playwright/test";
import { credentials } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";
import { startAppServiceLike, type AppServiceLike } from "./support/app-service";

/**
 * Issue: "works the first time on App Service". The standalone build runs as App Service runs it,
 * behind a TLS-terminating front end; redirect URIs, cookies and the API must be right there.
 */
const PUBLIC_PORT = Number(process.env.E2E_APP_SERVICE_PORT ?? 3443);
const MEGAN = "megan.bowen@contoso.test";
let site: AppServiceLike;

test.beforeAll(async () => {
  site = await startAppServiceLike(PUBLIC_PORT);
});

test.afterAll(async () => {
  await site?.stop();
});

test("SPA sign-in and /api/me work through the front end, with https redirect URIs", async ({ page }) => {
  await page.goto(`${site.origin}/profile`);
  // MSAL built the redirect URI from the public https origin, not the container's http one.
  await expect(page).toHaveURL(/redirect_uri=https%3A%2F%2Flocalhost%3A\d+%2Fredirect/);
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page).toHaveURL(`${site.origin}/profile`);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  expect(site.forwarded.some((r) => r.url === "/api/me" && r.headers["x-forwarded-proto"] === "https")).toBe(true);
});

test("web sign-in behind the front end: https callback and a Secure, host-only session cookie", async ({ page, context }) => {
  await page.goto(`${site.origin}/web`);
  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/redirect_uri=https%3A%2F%2Flocalhost%3A\d+%2Fauth%2Fcallback/);
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page).toHaveURL(`${site.origin}/web`);
  await expect(page.getByRole("main")).toContainText("Megan Bowen");
  const session = (await context.cookies(site.origin)).find((c) => c.name.includes("web-session"));
  expect(session).toMatchObject({ name: "__Host-web-session", secure: true, httpOnly: true, sameSite: "Lax", path: "/" });
});
