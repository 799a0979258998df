import { spa, web } from "../support/app-sign-in";
import { saveSignIn } from "../support/signed-in";
import { deployedUser, expect, test as setup } from "./fixtures";

/**
 * The deployment's sign-in, once per run: the SPA's "Sign in" through the real sign-in page of
 * the deployment's identity provider (Entra ID, or the emulator in `npm test`), then /web's (single
 * sign-on), and the browser saved for every test that starts signed in.
 */
setup("the test user signs in to the SPA through the real sign-in page, then to /web", async ({ page, appOrigin }) => {
  const user = deployedUser();

  const identityProvider = await spa.signIn(page, user, appOrigin);
  expect(identityProvider, "the SPA's Sign in showed the identity provider's sign-in page").toBeDefined();
  expect(identityProvider).not.toBe(appOrigin);
  await expect(page).toHaveURL(`${appOrigin}/`);
  await expect(page.getByRole("banner").getByLabel("Signed in as")).not.toBeEmpty();

  await web.signIn(page, user, appOrigin);
  await expect(page).toHaveURL(`${appOrigin}/web`);
  await expect(web.profile(page)).toContainText(user.username, { ignoreCase: true });

  await saveSignIn(page, setup.info(), user.username, identityProvider);
});
