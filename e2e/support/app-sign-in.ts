import type { Page } from "@playwright/test";
import { signInWhereAsked, signOutWhereAsked, type Credentials } from "./sign-in";

/**
 * Signing in and out of the app's two halves through their own controls (accessible names are a
 * public contract: "Sign in", "Sign out", "Profile") and whichever identity provider the app sends
 * the browser to. Each returns the identity provider's origin when it showed a page.
 */
export const spa = {
  signedIn: (page: Page) => page.getByRole("banner").getByRole("button", { name: "Sign out" }),
  signedOut: (page: Page) => page.getByRole("banner").getByRole("button", { name: "Sign in" }),

  /** The home page's "Sign in" (msal-browser's redirect), back to the home page signed in. */
  async signIn(page: Page, credentials: Credentials, appOrigin: string): Promise<string | undefined> {
    await page.goto(`${appOrigin}/`);
    await spa.signedOut(page).click();
    return signInWhereAsked(page, credentials, appOrigin, spa.signedIn(page));
  },

  /** The header's "Sign out", through the identity provider's sign-out, back to the signed-out app. */
  async signOut(page: Page, user: Pick<Credentials, "username">, appOrigin: string): Promise<void> {
    await signOutWhereAsked(page, user, appOrigin, () => spa.signedIn(page).click(), spa.signedOut(page));
  },
};

export const web = {
  profile: (page: Page) => page.getByLabel("Profile", { exact: true }),
  signedOut: (page: Page) => page.getByRole("heading", { name: "Sign in to see your profile" }),

  /** /web's "Sign in" (the server's authorization code flow), back to /web showing the Graph profile. */
  async signIn(page: Page, credentials: Credentials, appOrigin: string): Promise<string | undefined> {
    await page.goto(`${appOrigin}/web`);
    await page.getByRole("main").getByRole("link", { name: "Sign in" }).click();
    return signInWhereAsked(page, credentials, appOrigin, web.profile(page));
  },

  async signOut(page: Page, user: Pick<Credentials, "username">, appOrigin: string): Promise<void> {
    await signOutWhereAsked(page, user, appOrigin, () => page.getByRole("banner").getByRole("button", { name: "Sign out" }).click(), web.signedOut(page));
  },
};
