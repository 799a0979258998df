import { expect, test } from "@playwright/test";
import { control, credentials, tenant } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";

/** Graph's documented permissions for /me/manager: without them, the profile still shows, the manager says why not. */
const MEGAN = "megan.bowen@contoso.test";

test.beforeEach(async () => {
  await control("/reset", {});
});

test("the API may read the profile but not the manager: the profile shows 'Manager unavailable' and why, never a nameless manager", async ({ page }) => {
  // The API keeps User.Read but loses User.ReadBasic.All for Megan: Graph answers /me/manager with
  // limited information (the manager's id, no name).
  await control("/consent/revoke", { clientId: tenant().apps.api.clientId, username: MEGAN, scopes: [`${tenant().graphResource}/User.ReadBasic.All`] });
  await page.goto("/profile");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  const profile = page.getByLabel("Profile", { exact: true });
  await expect(profile).toContainText("Megan Bowen");
  await expect(profile.locator("dd").last()).toContainText("Manager unavailable");
  await expect(profile.locator("dd").last()).toContainText("User.ReadBasic.All");
  await expect(profile.locator("dd").last()).not.toContainText("null");
  await expect(page.getByRole("region", { name: "Request trace" })).toContainText("manager");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
});
