import type { Page } from "@playwright/test";
import { control, counters, identityProviderOrigin } from "./emulator";
import { spa, web } from "./support/app-sign-in";
import { expect, test } from "./support/signed-in";

/**
 * The shared sign-in (e2e/sign-in.setup.ts, e2e/support/signed-in.ts): a test that says it starts
 * signed in as Megan really does, in the SPA (msal-browser's sessionStorage cache, put back by an
 * init script) and in /web (the session cookie in the storageState), without a trip to the
 * identity provider.
 */
const MEGAN = "megan.bowen@contoso.test";

/** Every top-level or frame navigation to the identity provider from now on. */
function identityProviderVisits(page: Page): string[] {
  const idp = identityProviderOrigin();
  const visits: string[] = [];
  page.on("request", (r) => {
    if (r.isNavigationRequest() && r.url().startsWith(idp)) visits.push(r.url());
  });
  return visits;
}

test.describe("starting signed in as Megan", () => {
  test.use({ signedInAs: MEGAN });

  test("the SPA and /web show her profile with no visit to the identity provider", async ({ page }) => {
    await control("/counters", undefined, "DELETE");
    const visits = identityProviderVisits(page);

    await page.goto("/profile");
    await expect(spa.signedIn(page)).toBeVisible();
    await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    await page.getByRole("link", { name: "Subscriptions" }).click();
    await expect(page.getByRole("status").filter({ hasText: "subscriptions" })).toHaveText(/^\d+ subscriptions$/);
    await page.goto("/web");
    await expect(web.profile(page)).toContainText("Megan Bowen");

    expect(visits).toEqual([]);
    expect((await counters()).authorize).toBe(0); // not even a hidden iframe (prompt=none)
  });

  test("a second tab of the same context starts signed in too", async ({ context }) => {
    const second = await context.newPage();
    const visits = identityProviderVisits(second);
    await second.goto("/profile");
    await expect(second.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    expect(visits).toEqual([]);
  });
});

test("without signedInAs a test starts signed out", async ({ page }) => {
  await page.goto("/");
  await expect(spa.signedOut(page)).toBeVisible();
  await page.goto("/web");
  await expect(web.signedOut(page)).toBeVisible();
});
