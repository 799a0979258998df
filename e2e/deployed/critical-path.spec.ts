import { deployedUser, expect, test } from "./fixtures";

/**
 * The deployment's critical path, starting signed in as the test user (the run's one sign-in):
 * the SPA's views call the deployment's API, which calls Microsoft Graph and Azure Resource
 * Manager On-Behalf-Of the user; /web renders the Graph profile on the server.
 */
const user = deployedUser();
test.use({ signedInAs: user.username });

const noErrorPanel = (page: import("@playwright/test").Page) => expect(page.getByRole("main").getByRole("alert")).toHaveCount(0);

test("home page: the app explains itself, the user is signed in, and it runs against its tenant", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByRole("list", { name: "How a request flows" })).toBeVisible();
  await expect(page.getByRole("banner").getByRole("button", { name: "Sign out" })).toBeVisible();
  // A deployment in emulator mode would say so on every page (IDENTITY_MODE=emulator is never deployed).
  await expect(page.getByRole("banner").getByText("offline tenant"), "the deployment runs in emulator mode (IDENTITY_MODE=emulator)").toHaveCount(0);
});

test("profile: Microsoft Graph /me through the API, On-Behalf-Of the user", async ({ page }) => {
  await page.goto("/profile");
  const profile = page.getByLabel("Profile", { exact: true });
  await expect(profile).toContainText(user.username, { ignoreCase: true });
  await expect(page.getByRole("region", { name: "Request trace" })).toBeVisible();
  await noErrorPanel(page);
});

test("subscriptions: Azure Resource Manager through the API, On-Behalf-Of the user", async ({ page }) => {
  await page.goto("/subscriptions");
  // Either the list or ARM's honest "none" for this user: both are a successful round trip.
  const listed = page.getByRole("status").filter({ hasText: /^\d+ subscriptions?$/ });
  const none = page.getByRole("heading", { name: "No subscriptions" });
  await expect(listed.or(none)).toBeVisible();
  await expect(page.getByRole("region", { name: "Request trace" })).toBeVisible();
  await noErrorPanel(page);
});

test("the web app at /web: the Graph profile rendered on the server, in a hardened session cookie", async ({ page, context, appOrigin }) => {
  await page.goto("/web");
  await expect(page.getByLabel("Profile", { exact: true })).toContainText(user.username, { ignoreCase: true });
  await expect(page.getByLabel("Raw Microsoft Graph response")).toContainText('"userPrincipalName"');
  await noErrorPanel(page);

  const sessions = (await context.cookies(appOrigin)).filter((c) => c.name.endsWith("web-session"));
  expect(sessions).toHaveLength(1);
  const https = appOrigin.startsWith("https:");
  // On https the cookie is __Host- (Secure, no Domain, Path=/): no other host or path can set or read it.
  expect(sessions[0]).toMatchObject({ name: https ? "__Host-web-session" : "web-session", secure: https, httpOnly: true, sameSite: "Lax", path: "/" });
  expect(await page.evaluate(() => document.cookie)).not.toContain("web-session");
});
