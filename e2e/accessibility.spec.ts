import AxeBuilder from "@axe-core/playwright";
import { control } from "./emulator";
import { expect, test } from "./support/signed-in";

const WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

test("home page has no WCAG A/AA violations", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  const results = await new AxeBuilder({ page }).withTags(WCAG_A_AA).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
});

test.describe("signed in", () => {
  test.use({ signedInAs: "megan.bowen@contoso.test" });

  test("profile and subscriptions views have no WCAG A/AA violations", async ({ page }) => {
    await control("/reset", {});
    await page.goto("/profile");
    await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    let results = await new AxeBuilder({ page }).withTags(WCAG_A_AA).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);

    await page.goto("/subscriptions");
    await expect(page.locator("tbody tr").first()).toBeVisible();
    results = await new AxeBuilder({ page }).withTags(WCAG_A_AA).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
  });
});

test("the layout works on a phone: no horizontal scrolling on the home page", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true });
  const page = await context.newPage();
  await page.goto("/");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await context.close();
});
