import type { Page, Response } from "@playwright/test";
import { control, credentials } from "./emulator";
import { EmulatorSignInPage } from "./support/sign-in";
import { expect, test } from "./support/signed-in";
import { subscriptionsShown } from "./support/step-up";

/**
 * Issue #14 item 7: the CSP is the backstop if script ever gets injected into a page (the SPA keeps
 * tokens in sessionStorage). Every page gets a fresh nonce from proxy.ts, `script-src` has no
 * 'unsafe-inline', Next's own scripts carry the nonce, and an injected inline script does not run.
 */
const MEGAN = "megan.bowen@contoso.test";

declare global {
  interface Window {
    __violations?: string[];
    __injected?: string[];
  }
}

/** Records every CSP violation in every frame, from before the page's own scripts run. */
async function recordViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__violations?.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
}

function scriptSrc(response: Response | null): string {
  const csp = response?.headers()["content-security-policy"] ?? "";
  return csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src ")) ?? "";
}

function nonceOf(response: Response | null): string {
  return /'nonce-([A-Za-z0-9+/=]+)'/.exec(scriptSrc(response))?.[1] ?? "";
}

test.beforeEach(async () => {
  await control("/reset", {});
});

test("every page sends a fresh nonce, no 'unsafe-inline' for scripts, and runs without a CSP violation", async ({ page }) => {
  await recordViolations(page);
  const nonces = new Set<string>();
  for (const path of ["/", "/web", "/redirect", "/does-not-exist"]) {
    const response = await page.goto(path);
    const directive = scriptSrc(response);
    expect(directive, path).toMatch(/^script-src 'self' 'nonce-[A-Za-z0-9+/=]{22,}'/);
    expect(directive, path).not.toContain("'unsafe-inline'");
    nonces.add(nonceOf(response));
    // every inline script Next rendered carries this request's nonce (the property: browsers hide the attribute)
    const inline = await page.evaluate(() => [...document.querySelectorAll("script:not([src])")].map((s) => (s as HTMLScriptElement).nonce));
    expect(inline.length, path).toBeGreaterThan(0);
    expect(new Set(inline), path).toEqual(new Set([nonceOf(response)]));
    expect(await page.evaluate(() => window.__violations), path).toEqual([]);
  }
  expect(nonces.size).toBe(4);

  // The SPA signs in through /redirect and calls its API; the web app signs in on the server.
  await page.goto("/profile");
  await new EmulatorSignInPage(page).submitCredentials(credentials(MEGAN));
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
  await page.getByRole("link", { name: "Subscriptions" }).click();
  await subscriptionsShown(page, MEGAN);
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
  await page.goto("/web");
  await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/web$/);
  await expect(page.getByRole("main")).toContainText("Megan Bowen");
  expect(await page.evaluate(() => window.__violations)).toEqual([]);
});

test("script injected into the server-rendered HTML does not run; Next's own scripts do", async ({ page }) => {
  await recordViolations(page);
  // What a stored or reflected injection would put into a page, the response's CSP header untouched.
  const injected = [
    `<script>(window.__injected ||= []).push("inline")</script>`,
    `<script nonce="guessed">(window.__injected ||= []).push("guessed nonce")</script>`,
    `<img src="/icon.svg?x" onload="(window.__injected ||= []).push('event handler')" alt="">`,
    `<a id="js-link" href="javascript:(window.__injected ||= []).push('javascript: URL')">x</a>`,
  ].join("");
  await page.route("**/", async (route) => {
    if (route.request().resourceType() !== "document") return route.fallback();
    const response = await route.fetch();
    const html = (await response.text()).replace("</body>", `${injected}</body>`);
    await route.fulfill({ response, body: html });
  });
  const response = await page.goto("/");
  expect(response?.headers()["content-security-policy"]).toContain("'nonce-");
  await page.locator("#js-link").click();

  await expect.poll(() => page.evaluate(() => window.__violations?.length ?? 0)).toBeGreaterThanOrEqual(4);
  expect(await page.evaluate(() => window.__injected)).toBeUndefined();
  expect(await page.evaluate(() => window.__violations)).toEqual(["script-src-elem inline", "script-src-elem inline", "script-src-attr inline", "script-src-elem inline"]);
  // Next's nonce-carrying scripts did run: React hydrated the page (it tags the nodes it owns).
  // (Signing in from this page is not possible: Chromium treats a document Playwright fulfilled as
  // public and refuses its requests to the loopback emulator; the next test signs in for real.)
  await expect
    .poll(() => page.getByRole("button", { name: "Sign in" }).evaluate((el) => Object.keys(el).some((k) => k.startsWith("__reactFiber"))))
    .toBe(true);
});

test.describe("signed in as Megan (the run's shared sign-in)", () => {
  test.use({ signedInAs: MEGAN });

  test("a script added to the signed-in SPA's DOM cannot read its tokens, and the SPA keeps working", async ({ page }) => {
    await recordViolations(page);
    await page.goto("/profile");
    await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
    // msal-browser keeps the tokens in sessionStorage: the prize of an injection
    expect(await page.evaluate(() => Object.keys(sessionStorage).some((k) => k.includes("accesstoken")))).toBe(true);

    await page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = `(window.__injected ||= []).push(Object.keys(sessionStorage).join(","))`;
      document.body.append(script);
      document.body.insertAdjacentHTML("beforeend", `<img src="/icon.svg?y" onload="(window.__injected ||= []).push('event handler')" alt="">`);
    });
    await expect.poll(() => page.evaluate(() => window.__violations?.length ?? 0)).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate(() => window.__injected)).toBeUndefined();
    expect(await page.evaluate(() => window.__violations)).toEqual(["script-src-elem inline", "script-src-attr inline"]);

    await page.getByRole("link", { name: "Subscriptions" }).click();
    await subscriptionsShown(page, MEGAN);
  });
});
