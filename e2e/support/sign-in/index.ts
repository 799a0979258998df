import { expect, type Locator, type Page } from "@playwright/test";
import { EmulatorSignInPage } from "./emulator-sign-in-page";
import { EntraSignInPage } from "./entra-sign-in-page";
import { isOn, type Credentials } from "./form";
import { identityProviderAt } from "./identity-provider";
import type { SignInPage } from "./sign-in-page";

export { EmulatorSignInPage } from "./emulator-sign-in-page";
export { EntraSignInPage } from "./entra-sign-in-page";
export { fillSecret, type Credentials } from "./form";
export { identityProviderAt, UnsupportedIdentityProviderError, type IdentityProviderKind } from "./identity-provider";
export { SignInRefusedError, type SignInPage } from "./sign-in-page";

/** The page object for the page the browser is on, chosen from its host; undefined while on the app. */
export function signInPageFor(page: Page, appOrigin: string): SignInPage | undefined {
  const kind = identityProviderAt(page.url(), appOrigin);
  if (kind === "app") return undefined;
  if (kind === "entra") return entraHostsServedByEmulator() ? new EmulatorSignInPage(page) : new EntraSignInPage(page);
  return new EmulatorSignInPage(page);
}

/**
 * A Microsoft-host test run (scripts/microsoft-hosts.ts) has the identity emulator answer at
 * Entra's own host names, and says so explicitly: E2E_SIGN_IN_PAGES=emulator. The host-based
 * choice itself stays exactly as strict; nothing is guessed from what a page looks like.
 */
function entraHostsServedByEmulator(): boolean {
  const choice = process.env.E2E_SIGN_IN_PAGES?.trim();
  if (!choice) return false;
  if (choice !== "emulator") throw new Error(`E2E_SIGN_IN_PAGES must be "emulator" (a Microsoft-host test run) or unset, got "${choice}"`);
  return true;
}

/**
 * After a click that starts a sign-in: waits for the identity provider's page or for `signedIn`
 * on the app (single sign-on may answer without showing a page), completes the former, and
 * returns the identity provider's origin when it showed one.
 */
export async function signInWhereAsked(page: Page, credentials: Credentials, appOrigin: string, signedIn: Locator): Promise<string | undefined> {
  const provider = await landing(page, appOrigin, signedIn, "the identity provider's sign-in page, or the signed-in app");
  if (provider) {
    const origin = new URL(page.url()).origin;
    await provider.completeSignIn(credentials, appOrigin);
    await expect(signedIn).toBeVisible();
    return origin;
  }
  return undefined;
}

/**
 * Signs out with `signOut` (a click), completes what the identity provider asks, and waits for
 * `signedOut` on the app. The app may show its signed-out state before the browser has even left
 * (msal-browser clears its cache first), so this waits for the first page after the click.
 */
export async function signOutWhereAsked(
  page: Page,
  user: Pick<Credentials, "username">,
  appOrigin: string,
  signOut: () => Promise<void>,
  signedOut: Locator,
): Promise<void> {
  const firstPageAfter = page.waitForEvent("framenavigated", { predicate: (frame) => frame === page.mainFrame(), timeout: 30_000 });
  await signOut();
  await firstPageAfter;
  const provider = await landing(page, appOrigin, signedOut, "the identity provider's sign-out, or the signed-out app");
  if (provider) await provider.completeSignOut(user, appOrigin);
  await expect(signedOut).toBeVisible();
}

async function landing(page: Page, appOrigin: string, done: Locator, what: string): Promise<SignInPage | undefined> {
  await expect
    .poll(async () => !isOn(page.url(), appOrigin) || (await done.isVisible().catch(() => false)), { timeout: 30_000, intervals: [100, 250, 500], message: `waiting for ${what}` })
    .toBe(true);
  return signInPageFor(page, appOrigin);
}
