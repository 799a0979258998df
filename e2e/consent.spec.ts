import { expect, test, type Page } from "@playwright/test";
import { control, counters, credentials, tenant } from "./emulator";
import { subscriptionsShown } from "./support/step-up";
import { EmulatorSignInPage } from "./support/sign-in";

/**
 * Consent without an administrator, the way Entra ID does it: the SPA is pre-authorized for the
 * API's scope only; the API's own Graph and ARM permissions come from one combined consent
 * (`api://<api>/.default`, the SPA being a known client of the API), or from an administrator.
 */
const MEGAN = "megan.bowen@contoso.test";
const GRAPH_READ = "https://graph.microsoft.com/User.Read";
const ARM = "https://management.azure.com/user_impersonation";

async function signIn(page: Page, path = "/profile", username = MEGAN) {
  await page.goto(path);
  await new EmulatorSignInPage(page).submitCredentials(credentials(username));
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  await expect(page.getByRole("banner").getByRole("button", { name: "Sign out" })).toBeVisible();
}

const panel = (page: Page) => page.getByRole("main").getByRole("alert");

test.beforeEach(async () => {
  await control("/reset", {});
  // A tenant where nobody has consented to the API's Graph and ARM permissions yet.
  await control("/consent/revoke", { clientId: tenant().apps.api.clientId });
  await control("/counters", undefined, "DELETE");
});

test("no grant for the API: one combined consent, then profile and subscriptions; no second prompt, no loop", async ({ page }) => {
  await signIn(page); // no prompt at sign-in: the SPA is pre-authorized for access_as_user
  await expect(panel(page)).toContainText("Permission needed");
  await panel(page).getByRole("button", { name: "Review and consent" }).click();

  // The emulator's consent page lists the API's downstream permissions too (combined consent).
  await expect(page.getByRole("heading", { name: "Permissions requested" })).toBeVisible();
  await expect(page.getByRole("main")).toContainText(GRAPH_READ);
  await expect(page.getByRole("main")).toContainText(ARM);
  await page.getByRole("button", { name: "Accept" }).click();

  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  await page.getByRole("link", { name: "Subscriptions" }).click();
  expect(await subscriptionsShown(page, MEGAN)).toBe(true);
  await page.goto("/profile");
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");

  const c = await counters();
  expect(c.consentPrompts).toBe(1);
  expect(c.authorize).toBe(3); // sign-in + the one consent + the Subscriptions view's step-up (c1)
  await expect(panel(page)).toHaveCount(0);
});

test("users may not consent: the panel says an administrator must grant consent and links the admin-consent URL; no loop", async ({ page, browser }) => {
  await control("/tenants/settings", { tenantId: tenant().tenantId, usersMayConsent: false });
  await signIn(page);
  await panel(page).getByRole("button", { name: "Review and consent" }).click();
  await expect(page.getByRole("heading", { name: "Need admin approval" })).toBeVisible();
  await page.getByRole("button", { name: "Return to the application without granting consent" }).click();

  await expect(page).toHaveURL(/\/profile$/);
  await expect(panel(page)).toContainText("An administrator must grant consent");
  await expect(panel(page).getByRole("button", { name: "Review and consent" })).toHaveCount(0);
  const link = panel(page).getByRole("link", { name: "Admin consent link" });
  const href = (await link.getAttribute("href")) ?? "";
  expect(href).toContain(`${tenant().authorityHost}/${tenant().tenantId}/adminconsent?client_id=${tenant().apps.api.clientId}`);

  // Coming back later is no loop either: the same message, no new trip to the identity provider.
  await page.reload();
  await expect(panel(page)).toContainText("An administrator must grant consent");
  let c = await counters();
  expect(c.adminApprovalPages).toBe(1);
  expect(c.consentPrompts).toBe(0);
  expect(c.authorize).toBe(2);

  // An administrator follows the link (their own browser), grants for the organization...
  const adminContext = await browser.newContext({ ignoreHTTPSErrors: true });
  const admin = await adminContext.newPage();
  await admin.goto(href);
  const patti = tenant().users.find((u) => u.tenantId === tenant().tenantId && u.roles?.includes("Global Administrator"))!;
  await new EmulatorSignInPage(admin).submitCredentials(credentials(patti.username));
  await expect(admin.getByRole("main")).toContainText("Accept for your organization");
  await admin.getByRole("button", { name: "Accept" }).click();
  await expect(admin.getByRole("heading", { name: "Admin consent granted" })).toBeVisible();
  await adminContext.close();

  // ...and the user's "Try again" works without any consent of their own.
  await panel(page).getByRole("button", { name: "Try again" }).click();
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  c = await counters();
  expect(c.consentPrompts).toBe(1); // the administrator's
});

test("API without knownClientApplications: after one consent the panel explains that an administrator must grant it", async ({ page }) => {
  await control("/apps/registration", { clientId: tenant().apps.api.clientId, knownClientApplications: [] });
  await signIn(page);
  await panel(page).getByRole("button", { name: "Review and consent" }).click();
  await expect(page.getByRole("heading", { name: "Permissions requested" })).toBeVisible();
  await expect(page.getByRole("main")).not.toContainText(GRAPH_READ); // no combined consent
  await page.getByRole("button", { name: "Accept" }).click();

  await expect(page).toHaveURL(/\/profile$/);
  await expect(panel(page)).toContainText("An administrator must grant consent");
  await expect(panel(page).getByRole("link", { name: "Admin consent link" })).toBeVisible();
  await page.reload();
  await expect(panel(page)).toContainText("An administrator must grant consent");
  const c = await counters();
  expect(c.consentPrompts).toBe(1);
  expect(c.authorize).toBe(2);
});
