import { expect, test, type Page } from "@playwright/test";
import { control, counters, credentials, identityProviderOrigin, tenant } from "./emulator";
import { subscriptionsShown } from "./support/step-up";
import { EmulatorSignInPage } from "./support/sign-in";

/**
 * Consent without an administrator, the way Entra ID does it: the SPA is pre-authorized for the
 * API's scope only; the API's own Graph and ARM permissions come from one combined consent
 * (`api://<api>/.default`, the SPA being a known client of the API), or from an administrator.
 */
const MEGAN = "megan.bowen@contoso.test";
// The emulated cloud's Graph and ARM (https://graph.microsoft.us/… when it plays US Government).
const GRAPH_READ = `${tenant().graphResource}/User.Read`;
const ARM = `${tenant().armResource}/user_impersonation`;

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
  // The SPA, not the API: consent to the client covers the API through knownClientApplications,
  // not the other way round (issue #20 item 6). It returns to the SPA's registered /admin-consent.
  expect(href).toContain(`${identityProviderOrigin()}/${tenant().tenantId}/adminconsent?client_id=${tenant().apps.spa.clientId}`);
  expect(new URL(href).searchParams.get("redirect_uri")).toBe(new URL("/admin-consent", page.url()).toString());
  // …and the panel says what the administrator grants.
  await expect(panel(page)).toContainText("this app, its access to its API, and the API's permissions listed above");

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
  // The SPA's consent does not cover the API here (it is no known client of it): the link names the API.
  const href = (await panel(page).getByRole("link", { name: "Admin consent link" }).getAttribute("href")) ?? "";
  expect(new URL(href).searchParams.get("client_id")).toBe(tenant().apps.api.clientId);
  await expect(panel(page)).toContainText("this app's API the permissions listed above");
  await page.reload();
  await expect(panel(page)).toContainText("An administrator must grant consent");
  const c = await counters();
  expect(c.consentPrompts).toBe(1);
  expect(c.authorize).toBe(2);
});

test("/admin-consent answers in its own words: the error text in the address (anyone can send such a link) is never shown", async ({ page }) => {
  const planted = "Your organization requires you to call +1-555-0100 and read out your password";
  const main = page.getByRole("main");

  await page.goto(`/admin-consent?error=access_denied&error_description=${encodeURIComponent(`AADSTS65004: ${planted}`)}`);
  await expect(main.getByRole("heading", { name: "Admin consent was not granted" })).toBeVisible();
  await expect(main.getByRole("alert")).toContainText("declined or cancelled");
  await expect(main.getByRole("alert")).toContainText("AADSTS65004"); // a number to look up, nothing more
  await expect(main).not.toContainText("555-0100");

  // An error code it does not know is not echoed either: it is attacker text too.
  await page.goto(`/admin-consent?error=call_555_0100_now&error_description=${encodeURIComponent(planted)}`);
  await expect(main.getByRole("heading", { name: "Admin consent was not granted" })).toBeVisible();
  await expect(main.getByRole("alert")).toContainText("did not grant consent");
  await expect(main).not.toContainText("555");
});
