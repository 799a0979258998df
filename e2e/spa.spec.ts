import type { Page } from "@playwright/test";
import { control, credentials, tenant, tokenRequests } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";
import { expect, test } from "./support/signed-in";
import { subscriptionsShown } from "./support/step-up";

const MEGAN = "megan.bowen@contoso.test";

/** Page errors and app console errors (not the browser's own "failed to load resource" lines). */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Signs in from `path`: protected views redirect by themselves, the home page has a button. */
async function signIn(page: Page, path = "/profile", username = MEGAN) {
  await page.goto(path);
  if (path === "/") await page.getByRole("button", { name: "Sign in" }).click();
  await new EmulatorSignInPage(page).submitCredentials(credentials(username));
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  await expect(page.getByRole("button", { name: "Sign out" })).toBeVisible();
}

test.beforeEach(async () => {
  await control("/reset", {});
});

test("sign in, see profile and every subscription, sign out", async ({ page }) => {
  const errors = collectErrors(page);
  // A protected view sends a signed-out visitor to sign in and brings them back.
  await signIn(page, "/profile");
  await expect(page.getByRole("banner")).toContainText("Megan Bowen");

  const profile = page.getByLabel("Profile", { exact: true });
  await expect(profile).toContainText("Megan Bowen");
  await expect(profile).toContainText(MEGAN);
  await expect(profile).toContainText("Marketing Manager");
  await expect(profile.locator("dd").last()).not.toHaveText("No manager");
  // The Graph photo, fetched with the bearer token and shown from a blob: URL.
  await expect(page.getByRole("img", { name: "Profile photo of Megan Bowen" })).toHaveAttribute("src", /^blob:/);
  // The trace shows the On-Behalf-Of hop: a cache miss for the first call.
  await expect(page.getByRole("region", { name: "Request trace" })).toContainText("cache miss");

  await page.getByRole("link", { name: "Subscriptions" }).click();
  await subscriptionsShown(page, MEGAN); // the view's authentication context: one step-up (MFA)
  const rows = page.locator("tbody tr");
  const count = await rows.count();
  expect(count).toBeGreaterThan(10); // more than one ARM page
  // Sorting by name descending puts the last name first.
  const names = await rows.locator("td:first-child").allTextContents();
  await page.getByRole("button", { name: /^Name/ }).click();
  await expect(rows.first().locator("td").first()).toHaveText([...names].sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))[0]!);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await page.goto("/profile");
  await expect(page.getByLabel("Email or username")).toBeVisible(); // asked to sign in again
  expect(errors).toEqual([]);
});

test.describe("starting signed in as Megan (the run's shared sign-in)", () => {
  test.use({ signedInAs: MEGAN });

  test("second API call is served from the On-Behalf-Of token cache", async ({ page }) => {
    const apiClient = tenant().apps.api.clientId;
    await page.goto("/profile");
    await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    const afterFirst = await tokenRequests("on_behalf_of", apiClient);
    await page.reload();
    await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    await expect(page.getByRole("region", { name: "Request trace" })).toContainText("cache hit");
    expect(await tokenRequests("on_behalf_of", apiClient)).toBe(afterFirst);
  });

  test("Graph throttled: a clear error panel with retry, then recovery", async ({ page }) => {
    const errors = collectErrors(page);
    await control("/faults", { target: "graph", mode: "throttle", retryAfter: 1 });
    await page.goto("/profile");
    const panel = page.getByRole("main").getByRole("alert");
    await expect(panel).toContainText("busy or unavailable");
    await control("/faults", undefined, "DELETE");
    await panel.getByRole("button", { name: "Try again" }).click();
    await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    expect(errors).toEqual([]);
  });
});

test("MFA claims challenge: the profile loads after step-up, no error shown", async ({ page }) => {
  const errors = collectErrors(page);
  await signIn(page, "/");
  await control("/mfa", { username: MEGAN });
  await page.goto("/profile");
  // The API answers 401 insufficient_claims; the SPA re-authenticates with the claims.
  await expect(page.getByLabel("Verification code")).toBeVisible();
  await page.getByLabel("Verification code").fill("123456");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
  expect(errors).toEqual([]);
});

test("revoked consent: the consent prompt appears and completes", async ({ page }) => {
  await signIn(page, "/");
  await control("/consent/revoke", { clientId: tenant().apps.api.clientId, username: MEGAN });
  await page.goto("/profile");
  const panel = page.getByRole("main").getByRole("alert");
  await expect(panel).toContainText("Permission needed");
  await panel.getByRole("button", { name: "Review and consent" }).click();
  await page.getByRole("button", { name: "Accept" }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
});

// A fresh sign-in: with the shared one, the API may already hold an ARM token for that SPA token.
test("identity provider down for a new token: an explained error, no blank page", async ({ page }) => {
  const errors = collectErrors(page);
  await signIn(page, "/");
  await control("/faults", { target: "token", mode: "down" });
  await page.goto("/subscriptions");
  await expect(page.getByRole("main").getByRole("alert")).toContainText(/unavailable|busy/);
  await expect(page.getByRole("main").getByRole("alert").getByRole("button", { name: "Try again" })).toBeVisible();
  await control("/faults", undefined, "DELETE");
  expect(errors).toEqual([]);
});
