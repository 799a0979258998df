import type { Credentials } from "./form";
import type { IdentityProviderKind } from "./identity-provider";

/** One identity provider's sign-in and sign-out pages, driven until the browser is back on the app. */
export interface SignInPage {
  readonly kind: IdentityProviderKind;
  /** Account picker, credentials, and the optional steps (consent, "Stay signed in?") until back at `appOrigin`. */
  completeSignIn(credentials: Credentials, appOrigin: string): Promise<void>;
  /** Whatever the identity provider asks while signing out (which account), until back at `appOrigin`. */
  completeSignOut(user: Pick<Credentials, "username">, appOrigin: string): Promise<void>;
}

/** The identity provider said no, or asked for something a test user must never need (MFA, admin approval). */
export class SignInRefusedError extends Error {
  readonly code = "sign_in_refused";
}
