import { spa, web } from "../support/app-sign-in";
import { deployedUser, expect, test } from "./fixtures";

/**
 * Sign-out, each in a browser of its own (never the run's shared sign-in: a sign-out ends the
 * identity provider's session it belongs to). Both land back on the app, signed out.
 */
const user = deployedUser();

test("SPA: sign in, then sign out through the identity provider, back on the home page; the next visit asks to sign in", async ({ page, appOrigin }) => {
  await spa.signIn(page, user, appOrigin);
  await spa.signOut(page, user, appOrigin);
  expect(new URL(page.url()).pathname).toBe("/");
  expect(new URL(page.url()).origin).toBe(appOrigin);

  await page.goto("/profile");
  await page.waitForURL((url) => url.origin !== appOrigin); // sent to the identity provider
});

test("web: sign in at /web, sign out, back on /web signed out, and a reload stays signed out", async ({ page, context, appOrigin }) => {
  await web.signIn(page, user, appOrigin);
  await web.signOut(page, user, appOrigin);
  await expect(page).toHaveURL(`${appOrigin}/web`);
  expect((await context.cookies(appOrigin)).filter((c) => c.name.endsWith("web-session"))).toEqual([]);
  await page.reload();
  await expect(web.signedOut(page)).toBeVisible();
  await expect(web.profile(page)).toHaveCount(0);
});
