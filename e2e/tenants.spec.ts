import { expect, test, type Page } from "@playwright/test";
import { control, counters, credentials, tenant } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";

/**
 * Users of other tenants: AZURE_ALLOWED_TENANTS lists Fabrikam (scripts/with-emulator.ts), so the
 * SPA and the web app sign in at `organizations`; the API verifies each tenant's issuer and the
 * allow-list, and calls Graph and ARM On-Behalf-Of the user in the user's own tenant.
 */
const fabrikamUser = () => tenant().users.find((u) => u.tenantId === tenant().secondTenantId && !u.roles?.length)!;
const thirdTenant = () => tenant().tenants.find((t) => t.id !== tenant().tenantId && t.id !== tenant().secondTenantId)!;

async function signInFrom(page: Page, path: string, username: string) {
  await page.goto(path);
  await expect(page.getByLabel("Email or username")).toBeVisible();
  expect(new URL(page.url()).pathname).toBe("/organizations/oauth2/v2.0/authorize");
  await new EmulatorSignInPage(page).submitCredentials(credentials(username));
  await expect(page).toHaveURL(new RegExp(`${path}$`));
}

test.beforeEach(async () => {
  await control("/reset", {});
  await control("/counters", undefined, "DELETE");
});

test("a Fabrikam user signs in through the SPA and sees Fabrikam's subscriptions, fetched On-Behalf-Of in Fabrikam", async ({ page }) => {
  const fabrikam = tenant().secondTenantId;
  const user = fabrikamUser();
  await signInFrom(page, "/subscriptions", user.username);
  await expect(page.getByRole("banner")).toContainText(user.displayName);
  await expect(page.getByRole("status").filter({ hasText: "subscription" })).toHaveText(/^\d+ subscriptions?$/);
  const tenants = await page.locator("tbody tr td:nth-child(4)").allTextContents();
  expect(tenants.length).toBeGreaterThan(0);
  expect(new Set(tenants)).toEqual(new Set([fabrikam]));

  const c = await counters();
  expect(c.tokenRequestsByTenant.on_behalf_of?.[fabrikam]).toBeGreaterThanOrEqual(1);
  expect(c.tokenRequestsByTenant.on_behalf_of?.[tenant().tenantId] ?? 0).toBe(0);

  await page.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByLabel("Profile", { exact: true })).toContainText(user.username);
});

test("a user of a tenant that is not allowed gets a page that says so, naming the tenant and what to ask for", async ({ page }) => {
  const third = thirdTenant();
  const nancy = tenant().users.find((u) => u.tenantId === third.id)!;
  await signInFrom(page, "/profile", nancy.username);
  const panel = page.getByRole("main").getByRole("alert");
  await expect(panel).toContainText("Your organization can't use this app yet");
  await expect(panel).toContainText(third.id);
  await expect(panel).toContainText("allowed tenants");
  await expect(panel.getByRole("button", { name: "Try again" })).toHaveCount(0);
  expect((await counters()).tokenRequestsByTenant.on_behalf_of ?? {}).toEqual({});
});

test("the web app signs a Fabrikam user in at organizations", async ({ page, baseURL }) => {
  const user = fabrikamUser();
  await page.goto("/web");
  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(page.getByLabel("Email or username")).toBeVisible();
  expect(new URL(page.url()).pathname).toBe("/organizations/oauth2/v2.0/authorize");
  await new EmulatorSignInPage(page).submitCredentials(credentials(user.username));
  await expect(page).toHaveURL(`${baseURL}/web`);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText(user.username);
  expect((await counters()).tokenRequestsByTenant.authorization_code?.organizations).toBeGreaterThanOrEqual(1);
});
