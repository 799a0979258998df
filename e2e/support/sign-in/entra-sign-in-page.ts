import type { Page } from "@playwright/test";
import { BACK_ON_THE_APP, fillSecret, nextStep, visibleText, type Credentials } from "./form";
import { SignInRefusedError, type SignInPage } from "./sign-in-page";

const MAX_STEPS = 10;

/**
 * Microsoft Entra ID's sign-in pages (login.microsoftonline.com and the national-cloud hosts).
 * Element ids and names as Microsoft's own browser tests use them: the email field `loginfmt`
 * (#i0116), the password `passwd` (#i0118), the primary button #idSIButton9 (Next, Sign in, Yes,
 * Accept), #idBtn_Back ("No" on "Stay signed in?"), the "Work or school account" tile #aadTile
 * (AzureAD/microsoft-authentication-library-for-js samples/e2eTestUtils/src/TestUtils.ts,
 * microsoft-authentication-library-for-java SeleniumConstants.java); with the visible names as a
 * fallback for the newer page layout. Which of the optional steps appear (account picker,
 * "Stay signed in?", consent) is the tenant's choice, so each action is followed by "where am I?".
 */
export class EntraSignInPage implements SignInPage {
  readonly kind = "entra" as const;

  constructor(readonly page: Page) {}

  private primaryButton(name: string) {
    return this.page.locator("#idSIButton9").or(this.page.getByRole("button", { name, exact: true })).first();
  }

  async completeSignIn(credentials: Credentials, appOrigin: string): Promise<void> {
    const page = this.page;
    const steps = {
      refused: page.locator("#usernameError, #passwordError, #errorText, #service_exception_message, #idTD_Error"),
      // MFA (approve, code, or registration): a test user must be excluded from it (docs/deploy.md).
      mfa: page
        .locator("#idDiv_SAOTCAS_Title, #idDiv_SAOTCS_Title, #idDiv_SAOTCC_Title, #idSubmit_ProofUp_Redirect, input[name='otc']")
        .or(page.getByRole("heading", { name: /^(Approve sign in request|Verify your identity|Enter code|More information required)$/ })),
      staySignedIn: page.locator("input[name='DontShowAgain'], #KmsiCheckboxField").or(page.getByRole("heading", { name: "Stay signed in?" })),
      consent: page.getByRole("heading", { name: "Permissions requested" }),
      picker: page.locator("#tilesHolder").or(page.getByRole("heading", { name: "Pick an account" })),
      accountType: page.locator("#aadTile"),
      password: page.locator("input[name='passwd']"),
      email: page.locator("input[name='loginfmt']"),
    };
    for (let i = 0; i < MAX_STEPS; i++) {
      const step = await nextStep(page, appOrigin, steps, { waitingFor: "Microsoft Entra ID's next sign-in page" });
      switch (step) {
        case BACK_ON_THE_APP:
          return;
        case "refused":
          throw new SignInRefusedError(`Microsoft Entra ID refused the sign-in of ${credentials.username}: ${await visibleText(steps.refused)}`);
        case "mfa":
          throw new SignInRefusedError(
            `Microsoft Entra ID asks ${credentials.username} for multi-factor authentication. The deployed suite signs in without MFA: ` +
              'exclude the test user\'s group from the Conditional Access policy (docs/deploy.md, "Test a deployment").',
          );
        case "staySignedIn":
          // No: the test must not depend on a persistent session cookie.
          await page.locator("#idBtn_Back").or(page.getByRole("button", { name: "No", exact: true })).first().click();
          break;
        case "consent":
          await this.primaryButton("Accept").click();
          break;
        case "picker": {
          const tile = page.locator(`[data-test-id="${credentials.username}" i]`).or(page.getByRole("button").filter({ hasText: credentials.username }));
          await ((await tile.count()) > 0 ? tile.first() : page.locator("#otherTile").or(page.getByRole("button", { name: "Use another account" })).first()).click();
          break;
        }
        case "accountType":
          await steps.accountType.click();
          break;
        case "password":
          await fillSecret(steps.password.filter({ visible: true }).first(), credentials.password);
          await this.primaryButton("Sign in").click();
          break;
        case "email":
          await steps.email.filter({ visible: true }).first().fill(credentials.username);
          await this.primaryButton("Next").click();
          break;
      }
    }
    throw new SignInRefusedError(`Microsoft Entra ID did not send ${credentials.username} back to ${appOrigin} after ${MAX_STEPS} steps`);
  }

  async completeSignOut(user: Pick<Credentials, "username">, appOrigin: string): Promise<void> {
    const page = this.page;
    const steps = {
      // "Pick an account" (which one to sign out): msal-browser sends no logout_hint unless the ID
      // token carries the login_hint optional claim.
      picker: page.locator(`[data-test-id="${user.username}" i]`).or(page.getByRole("button").filter({ hasText: user.username })),
      signedOut: page.getByRole("heading", { name: "You signed out of your account" }),
    };
    let pickedAccount = false;
    for (let i = 0; i < MAX_STEPS; i++) {
      const step = await nextStep(page, appOrigin, steps, { waitingFor: "the way back from Microsoft Entra ID's sign-out" });
      if (step === BACK_ON_THE_APP) return;
      if (step === "picker" && !pickedAccount) {
        pickedAccount = true;
        await steps.picker.first().click();
        continue;
      }
      // "You signed out of your account" returns to the app by itself, but only to a registered
      // post-logout address: wait for that, and say what to register if it never comes.
      try {
        await page.waitForURL((url) => url.origin === new URL(appOrigin).origin, { timeout: 30_000 });
      } catch {
        throw new SignInRefusedError(
          `Microsoft Entra ID signed ${user.username} out but did not return to ${appOrigin}: register ${appOrigin}/ (SPA) and ${appOrigin}/web (web app) as redirect URIs (docs/deploy.md, "App registrations")`,
        );
      }
    }
  }
}
