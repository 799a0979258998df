import { expect, test, type Page } from "@playwright/test";
import { control, credentials } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";
import { subscriptionsShown } from "./support/step-up";

// Continuous access evaluation: an admin revokes the user's sessions while a view is open. Azure
// Resource Manager and Microsoft Graph refuse the still-unexpired tokens with their claims
// challenges; the API passes the challenge to the SPA (it declared CP1), which steps up once.

const MEGAN = "megan.bowen@contoso.test";

interface Counters {
  authorize: number;
  authorizePromptNone: number;
}
const interactiveAuthorizes = async () => {
  const c = (await control("/counters")) as Counters;
  return c.authorize - c.authorizePromptNone;
};

test.beforeEach(async () => {
  await control("/reset", { sessions: true });
});
test.afterEach(async () => {
  await control("/faults", undefined, "DELETE");
});

for (const { target, view, ready } of [
  {
    target: "arm",
    view: "/subscriptions",
    // The view's authentication context (c1: MFA) is asked for with the first sign-in, and again
    // with the one after the revocation: the API joins it to ARM's challenge, one step-up for both.
    ready: async (page: Page) => void (await subscriptionsShown(page, MEGAN)),
  },
  {
    target: "graph",
    view: "/profile",
    ready: async (page: Page) => expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen"),
  },
]) {
  test(`session revoked at ${target === "arm" ? "ARM" : "Graph"} while ${view} is open: one step-up, then the data loads`, async ({ page }) => {
    await page.goto(view);
    await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
    await expect(page).toHaveURL(new RegExp(`${view}$`));
    await ready(page);

    await control("/faults", { target, mode: "session_revoked", username: MEGAN });
    const before = await interactiveAuthorizes();
    await page.reload(); // the view asks for its data again (still-valid tokens in every cache)

    // The revoked session cannot be renewed silently: the step-up asks the user to sign in.
    await expect(page.getByLabel("Email or username")).toBeVisible();
    await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
    await ready(page); // (Subscriptions: the verification code first, asked by the same sign-in)
    await expect(page).toHaveURL(new RegExp(`${view}$`));
    await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);
    expect(await interactiveAuthorizes()).toBe(before + 1); // exactly one step-up
  });
}
