import { expect, test, type Page } from "@playwright/test";
import { control, credentials, tenant } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";
import { passStepUpFor, subscriptionsList, subscriptionsShown } from "./support/step-up";

/**
 * Authorization (issue #21), in the browser, against the emulator set up as `npm run dev` sets
 * it up: app roles enforced; the Directory view also open to the "Directory viewers" group; the
 * Subscriptions view behind the authentication context c1 (require MFA).
 */
const MEGAN = "megan.bowen@contoso.test";
const DEBRA = "debra.berger@contoso.test"; // no app roles
const IRVIN = "irvin.sayers@contoso.test"; // 250 groups, the Directory only through "Directory viewers"
const ANNE = "anne.dodsworth@northwind.test"; // Northwind's, and a B2B guest of Contoso

interface Counters {
  authorize: number;
  authorizePromptNone: number;
}
const counters = async () => (await control("/counters")) as Counters;
const interactive = (c: Counters) => c.authorize - c.authorizePromptNone;

const nav = (page: Page) => page.getByRole("navigation", { name: "Main" });
const askAdmin = (page: Page) => page.getByRole("heading", { name: "Ask your admin for access" });
const peopleList = (page: Page) => page.getByRole("status").filter({ hasText: /^\d+ (people|person)$/ });

/** Every response of the app with a 5xx status, from now on. */
function serverErrors(page: Page): string[] {
  const failures: string[] = [];
  page.on("response", (r) => {
    if (r.status() >= 500 && new URL(r.url()).origin === new URL(page.url() || "http://x").origin) failures.push(`${r.status()} ${r.url()}`);
  });
  return failures;
}

async function signInAt(page: Page, path: string, username: string) {
  await page.goto(path);
  await new EmulatorSignInPage(page).submitCredentials(credentials(username));
}

test.beforeEach(async () => {
  await control("/reset", { sessions: true });
  await control("/counters", undefined, "DELETE");
});

test("a user without roles sees \"Ask your admin for access\" on Subscriptions and Directory, no 5xx, and no navigation to them", async ({ page }) => {
  const failures = serverErrors(page);
  await signInAt(page, "/subscriptions", DEBRA);
  await expect(page).toHaveURL(/\/subscriptions$/);
  await expect(askAdmin(page)).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Subscriptions.Read");
  await expect(page.getByRole("main").getByRole("alert")).toHaveCount(0); // a page, not an error
  await expect(subscriptionsList(page)).toHaveCount(0);

  await page.goto("/directory");
  await expect(askAdmin(page)).toBeVisible();
  await expect(page.getByRole("main")).toContainText("Directory.Read");

  // the profile needs no role
  await page.goto("/profile");
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Debra Berger");
  // the navigation leaves out what the user cannot use (once the API has said so)
  await expect(nav(page).getByRole("link", { name: "Subscriptions" })).toHaveCount(0);
  await expect(nav(page).getByRole("link", { name: "Directory" })).toHaveCount(0);
  await expect(nav(page).getByRole("link", { name: "Profile" })).toBeVisible();
  expect(failures).toEqual([]);
});

test("a user with both roles sees both views; Subscriptions steps up once (c1: MFA) and never loops", async ({ page }) => {
  const failures = serverErrors(page);
  const apiCalls: string[] = [];
  page.on("request", (r) => {
    if (new URL(r.url()).pathname === "/api/subscriptions") apiCalls.push(r.url());
  });
  await signInAt(page, "/directory", MEGAN);
  await expect(peopleList(page)).toBeVisible();
  await expect(page.getByRole("main")).toContainText(IRVIN);
  await expect(nav(page).getByRole("link", { name: "Subscriptions" })).toBeVisible();
  const before = await counters();

  await nav(page).getByRole("link", { name: "Subscriptions" }).click();
  expect(await subscriptionsShown(page, MEGAN)).toBe(true); // asked for the code: the step-up happened
  await expect(page).toHaveURL(/\/subscriptions$/);
  const after = await counters();
  expect(interactive(after) - interactive(before)).toBe(1); // exactly one step-up round trip
  // 401 (challenge) before the step-up, 200 after it: two calls, no third
  expect(apiCalls).toHaveLength(2);

  // no loop afterwards: revisiting asks nothing more of the identity provider
  await page.goto("/profile");
  await nav(page).getByRole("link", { name: "Subscriptions" }).click();
  await expect(subscriptionsList(page)).toBeVisible();
  await page.waitForTimeout(1000);
  expect((await counters()).authorize).toBe(after.authorize);
  expect(failures).toEqual([]);
});

test("after the step-up, renewed tokens keep the authentication context: a token renewal needs no second step-up", async ({ page }) => {
  // Tokens that msal-browser renews at every use (inside its 5-minute margin): each call after the
  // step-up rides a refresh-token renewal, and the API opted in to `acrs`, so c1 stays.
  await control("/settings", { tokenLifetimeSeconds: 120 });
  await signInAt(page, "/subscriptions", MEGAN);
  expect(await subscriptionsShown(page, MEGAN)).toBe(true);
  const after = await counters();
  for (let i = 0; i < 2; i++) {
    await page.reload();
    await expect(subscriptionsList(page)).toBeVisible();
  }
  expect(interactive(await counters())).toBe(interactive(after));
  await expect(page.getByLabel("Verification code")).toHaveCount(0);
  await control("/settings", { tokenLifetimeSeconds: 3600 });
});

test("the 250-group user gets the Directory through a group the API finds by asking Graph (overage), and not Subscriptions", async ({ page }) => {
  const directoryCall = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/directory" && r.status() === 200);
  await signInAt(page, "/directory", IRVIN);
  await expect(peopleList(page)).toBeVisible();
  // the API answered from Graph's checkMemberGroups (the token carries no groups: overage)
  expect((await directoryCall).headers()["server-timing"]).toMatch(/checkMemberGroups/);
  await page.goto("/subscriptions");
  await expect(askAdmin(page)).toBeVisible();
  await expect(nav(page).getByRole("link", { name: "Subscriptions" })).toHaveCount(0);
  await expect(nav(page).getByRole("link", { name: "Directory" })).toBeVisible();
});

test("a request too large for the server (431: a token or cookies beyond its header limit) is explained, not shown as a failure trace", async ({ page }) => {
  await signInAt(page, "/directory", MEGAN);
  await expect(peopleList(page)).toBeVisible();
  // what Node (16 KB of headers by default) or a proxy answers before the app sees the request
  await page.route("**/api/me", (route) => route.fulfill({ status: 431, body: "" }));
  await page.goto("/profile");
  const alert = page.getByRole("main").getByRole("alert");
  await expect(alert).toContainText("Your sign-in is too large to send");
  await expect(alert).toContainText("groups assigned to the application");
});

test.describe("the server-rendered web app enforces the same rules on the server", () => {
  async function webSignIn(page: Page, path: string, username: string) {
    await page.goto(path);
    await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
    await new EmulatorSignInPage(page).submitCredentials(credentials(username));
  }

  test("no roles: both views say whom to ask, rendered on the server", async ({ page }) => {
    const failures = serverErrors(page);
    await webSignIn(page, "/web/subscriptions", DEBRA);
    await expect(page).toHaveURL(/\/web\/subscriptions$/);
    await expect(askAdmin(page)).toBeVisible();
    await expect(page.getByRole("main")).toContainText("Subscriptions.Read");
    await page.goto("/web/directory");
    await expect(askAdmin(page)).toBeVisible();
    await expect(page.getByRole("main")).toContainText("Directory.Read");
    expect(failures).toEqual([]);
  });

  test("both roles: the directory at once, the subscriptions after one step-up done by the server's redirect", async ({ page }) => {
    await webSignIn(page, "/web/directory", MEGAN);
    await expect(peopleList(page)).toBeVisible();
    const before = await counters();
    await page.goto("/web/subscriptions");
    expect(await passStepUpFor(page, subscriptionsList(page), MEGAN)).toBe(true);
    await expect(page).toHaveURL(/\/web\/subscriptions\?stepped-up=1$/);
    expect(interactive(await counters()) - interactive(before)).toBe(1);
    await page.goto("/web/subscriptions");
    await expect(subscriptionsList(page)).toBeVisible(); // no second step-up
  });

  test("the 250-group user: the directory through overage resolution", async ({ page }) => {
    await webSignIn(page, "/web/directory", IRVIN);
    await expect(peopleList(page)).toBeVisible();
    await page.goto("/web/subscriptions");
    await expect(askAdmin(page)).toBeVisible();
  });
});

test.describe("B2B guests (AZURE_ALLOWED_TENANTS lists another tenant: users sign in at organizations)", () => {
  const guestOf = () => tenant().users.find((u) => u.username === ANNE)!.guestIn![0]!;

  test("the SPA: organizations signs the guest in at home (not allowed); \"Use a guest account\" signs them in to Contoso as its guest", async ({ page }) => {
    await signInAt(page, "/profile", ANNE);
    const panel = page.getByRole("main").getByRole("alert");
    await expect(panel).toContainText("Your organization can't use this app yet");
    await panel.getByRole("button", { name: "Use a guest account" }).click();
    // single sign-on at Contoso's authority: no password again
    await expect(page).toHaveURL(/\/profile$/);
    const profile = page.getByLabel("Profile", { exact: true });
    await expect(profile).toContainText(guestOf().userPrincipalName);
    await expect(page.getByRole("banner")).toContainText("Anne Dodsworth");
    // the guest object holds no app roles in Contoso
    await page.goto("/subscriptions");
    await expect(askAdmin(page)).toBeVisible();
  });

  test("the web app: the explained page offers the guest account; the server signs the guest in to Contoso", async ({ page }) => {
    await page.goto("/web");
    await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
    await new EmulatorSignInPage(page).submitCredentials(credentials(ANNE));
    // Northwind never consented to the web app: Anne may, for herself, before the app refuses her tenant
    await page.getByRole("button", { name: "Accept" }).click();
    await expect(page.getByRole("heading", { name: "Your organization can't use this app yet" })).toBeVisible();
    await expect(page.getByRole("alert")).toContainText("which this app does not serve");
    await page.getByRole("link", { name: "Use a guest account" }).click();
    // the account picker of the identity provider: the same account, now for Contoso
    await page.getByRole("button").filter({ hasText: ANNE }).click();
    await expect(page).toHaveURL(/\/web$/);
    await expect(page.getByLabel("Profile", { exact: true })).toContainText(guestOf().userPrincipalName);
  });
});
