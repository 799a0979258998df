import { expect, type Page } from "@playwright/test";
import { tenant } from "../emulator";

/** The SPA's Subscriptions list ("N subscriptions"). */
export const subscriptionsList = (page: Page) => page.getByRole("status").filter({ hasText: /^\d+ subscriptions?$/ });

/**
 * Waits for `shown` (a view's content), passing the step-up on the way when the identity
 * provider asks for it: the Subscriptions view sits behind the authentication context c1
 * (require MFA) in the emulator's setup, so a user who has not done MFA in this sign-in session
 * types the verification code once (tenant.json's `mfaCode`). Returns whether it was asked.
 */
export async function passStepUpFor(page: Page, shown: ReturnType<Page["getByRole"]>, username = tenant().users[0]!.username): Promise<boolean> {
  const code = page.getByLabel("Verification code");
  await expect(shown.or(code)).toBeVisible({ timeout: 20_000 });
  if (!(await code.isVisible())) return false;
  const user = tenant().users.find((u) => u.username === username);
  await code.fill(user?.mfaCode ?? "123456");
  await page.getByRole("button", { name: "Verify" }).click();
  await expect(shown).toBeVisible({ timeout: 20_000 });
  return true;
}

/** The Subscriptions view shown with its list, stepping up once when asked. */
export async function subscriptionsShown(page: Page, username?: string): Promise<boolean> {
  const asked = await passStepUpFor(page, subscriptionsList(page), username);
  await expect(subscriptionsList(page)).toHaveText(/^\d+ subscriptions?$/);
  return asked;
}
