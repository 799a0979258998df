import { expect, test } from "@playwright/test";
import { identityProviderOrigin } from "./emulator";

test("home page explains the app and how a request flows", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Microsoft identity platform on Next.js" })).toBeVisible();
  const flow = page.getByRole("list", { name: "How a request flows" });
  await expect(flow.getByRole("listitem")).toHaveText([
    "Browser",
    "This app's API",
    "Entra ID (On-Behalf-Of)",
    "Microsoft Graph / Azure Resource Manager",
  ]);
  expect(response?.headers()["x-content-type-options"]).toBe("nosniff");
  expect(response?.headers()["x-powered-by"]).toBeUndefined();
  // The CSP names the identity provider at runtime (the emulator here, or Entra's host in a Microsoft-host run), for MSAL's token calls.
  const csp = response?.headers()["content-security-policy"] ?? "";
  const idp = identityProviderOrigin();
  expect(csp).toContain(`connect-src 'self' ${idp}`);
  expect(csp).toContain("frame-ancestors 'none'");
});
