import { expect, type Page } from "@playwright/test";
import { BACK_ON_THE_APP, fillSecret, nextStep, visibleText, type Credentials } from "./form";
import { SignInRefusedError, type SignInPage } from "./sign-in-page";

const MAX_STEPS = 8;

/**
 * The bundled identity emulator's pages (emulator/pages.ts). Their accessible names are a public
 * contract: "Email or username", "Password", "Sign in"; "Pick an account" with one button per
 * remembered account and "Use another account"; consent "Permissions requested" with "Accept";
 * "Verification code" + "Verify"; "Need admin approval"; "You signed out of your account"; at
 * sign-out without logout_hint "Pick an account" / "Which account do you want to sign out of?".
 */
export class EmulatorSignInPage implements SignInPage {
  readonly kind = "emulator" as const;

  constructor(readonly page: Page) {}

  /**
   * Fills in and submits the sign-in form, then leaves the browser wherever the emulator sends it
   * (MFA, consent, back to the app): for tests about those pages.
   */
  async submitCredentials({ username, password }: Credentials): Promise<void> {
    const field = this.page.getByLabel("Email or username");
    await expect(field).toBeVisible();
    await field.fill(username);
    await fillSecret(this.page.getByLabel("Password"), password);
    await this.page.getByRole("button", { name: "Sign in" }).click();
  }

  async completeSignIn(credentials: Credentials, appOrigin: string): Promise<void> {
    const page = this.page;
    const steps = {
      refused: page.getByRole("alert"),
      picker: page.getByRole("heading", { name: "Pick an account" }),
      credentials: page.getByLabel("Email or username"),
      consent: page.getByRole("heading", { name: "Permissions requested" }),
      mfa: page.getByLabel("Verification code"),
      adminApproval: page.getByRole("heading", { name: "Need admin approval" }),
    };
    for (let i = 0; i < MAX_STEPS; i++) {
      const step = await nextStep(page, appOrigin, steps, { waitingFor: "the emulator's next sign-in page" });
      switch (step) {
        case BACK_ON_THE_APP:
          return;
        case "refused":
          throw new SignInRefusedError(`The identity emulator refused the sign-in of ${credentials.username}: ${await visibleText(steps.refused)}`);
        case "picker": {
          const remembered = page.getByRole("button").filter({ hasText: credentials.username });
          await ((await remembered.count()) > 0 ? remembered.first() : page.getByRole("button", { name: "Use another account" })).click();
          break;
        }
        case "credentials":
          await this.submitCredentials(credentials);
          break;
        case "consent":
          await page.getByRole("button", { name: "Accept" }).click();
          break;
        case "mfa":
          throw new SignInRefusedError(`${credentials.username} is asked for a verification code (MFA): the suite signs in only users who need none`);
        case "adminApproval":
          throw new SignInRefusedError(`${credentials.username} may not consent to this app ("Need admin approval"): grant admin consent first`);
      }
    }
    throw new SignInRefusedError(`The identity emulator did not send ${credentials.username} back to ${appOrigin} after ${MAX_STEPS} steps`);
  }

  async completeSignOut(_user: Pick<Credentials, "username">, appOrigin: string): Promise<void> {
    const page = this.page;
    const steps = {
      refused: page.getByRole("alert"),
      signingOut: page.getByRole("heading", { name: "You signed out of your account" }),
      // "Pick an account" at sign-out means the app sent no logout_hint: not clicked through here,
      // so a suite proves that the app's sign-out asks nothing.
      accountPicker: page.getByText("Which account do you want to sign out of?"),
    };
    // The sign-out page loads each app's front-channel logout URL, then returns by itself.
    for (let i = 0; i < MAX_STEPS; i++) {
      const step = await nextStep(page, appOrigin, steps, { waitingFor: "the way back from the emulator's sign-out" });
      if (step === BACK_ON_THE_APP) return;
      if (step === "refused") throw new SignInRefusedError(`The identity emulator's sign-out failed: ${await visibleText(steps.refused)}`);
      if (step === "accountPicker") {
        throw new SignInRefusedError('The identity emulator asked "Pick an account" at sign-out: the app sent no logout_hint (the login_hint optional claim of its ID token)');
      }
      await page.waitForURL((url) => url.origin === new URL(appOrigin).origin);
    }
  }
}
