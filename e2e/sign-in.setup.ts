import { test as setup } from "@playwright/test";
import { credentials } from "./emulator";
import { spa, web } from "./support/app-sign-in";
import { saveSignIn } from "./support/signed-in";
import { subscriptionsShown } from "./support/step-up";

// The emulator suite's shared sign-in: Megan, once per run, through the emulator's sign-in page
// (chosen from the host, as for a deployment), into the SPA (with the Subscriptions view's
// step-up) and the web app.
const MEGAN = "megan.bowen@contoso.test";

setup("sign Megan in to the SPA and /web once for the run", async ({ page, baseURL }) => {
  const appOrigin = new URL(baseURL ?? "").origin;
  const megan = credentials(MEGAN);
  const identityProvider = await spa.signIn(page, megan, appOrigin);
  // The Subscriptions view asks for the authentication context c1 (MFA): stepped up once here, the
  // saved browser's tokens carry it (and its renewals, by the API's opportunistic acrs claim).
  await page.goto(`${appOrigin}/subscriptions`);
  await subscriptionsShown(page, MEGAN);
  await web.signIn(page, megan, appOrigin);
  await saveSignIn(page, setup.info(), MEGAN, identityProvider);
});
