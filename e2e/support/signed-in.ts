import { test as base, type BrowserContext, type Page, type TestInfo } from "@playwright/test";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * Sign in once, reuse everywhere. A setup project signs each test user in through the real sign-in
 * page (SPA and /web) and saves what the browser then holds, under the run's output folder
 * (test-results/, git-ignored, cleared at the start of every run):
 *
 * - Playwright's storageState: cookies (the web app's session cookie, the identity provider's
 *   session cookies) and localStorage;
 * - the app origin's sessionStorage, where msal-browser keeps the SPA's account and tokens and
 *   which storageState does not save. It is put back before the app's first script runs, with an
 *   init script (https://playwright.dev/docs/auth#session-storage).
 *
 * A test that says `test.use({ signedInAs: "<username>" })` starts signed in to both, without a
 * visit to the identity provider. Tests that sign out, or change the user's state at the identity
 * provider, sign in fresh in their own context instead: a sign-out ends the session it belongs to.
 * The files hold live tokens: they are written for this user only (0600) and never uploaded.
 */
export interface SavedSignIn {
  username: string;
  appOrigin: string;
  /** Where the user signed in (Entra's host or the emulator's), when a sign-in page was shown. */
  identityProviderOrigin?: string;
  sessionStorage: { name: string; value: string }[];
  savedAt: string;
}

// A flag of our own in the tab's sessionStorage: restore once per tab, so a later sign-out or a
// renewed token in that tab is not undone by the next navigation.
const RESTORED_FLAG = "e2e.sessionStorage.restored";

function files(testInfo: TestInfo, username: string) {
  const dir = path.join(testInfo.project.outputDir, ".auth");
  const name = username.toLowerCase().replace(/[^a-z0-9._-]+/g, "_");
  return { dir, storageState: path.join(dir, `${name}.storage-state.json`), signIn: path.join(dir, `${name}.sign-in.json`) };
}

/** Saves the signed-in browser of `page` (which must be on the app) for `username`. */
export async function saveSignIn(page: Page, testInfo: TestInfo, username: string, identityProviderOrigin: string | undefined): Promise<void> {
  const appOrigin = new URL(page.url()).origin;
  const saved: SavedSignIn = {
    username,
    appOrigin,
    identityProviderOrigin,
    sessionStorage: await page.sessionStorage.items(),
    savedAt: new Date().toISOString(),
  };
  const target = files(testInfo, username);
  mkdirSync(target.dir, { recursive: true, mode: 0o700 });
  writeFileSync(target.storageState, JSON.stringify(await page.context().storageState()), { mode: 0o600 });
  writeFileSync(target.signIn, JSON.stringify(saved), { mode: 0o600 });
}

/** The saved sign-in of `username` in this run; a clear error when the setup project did not run. */
export function readSavedSignIn(testInfo: TestInfo, username: string): SavedSignIn & { storageStatePath: string } {
  const source = files(testInfo, username);
  if (!existsSync(source.signIn) || !existsSync(source.storageState)) {
    throw new Error(
      `No saved sign-in for ${username} in this run (${path.relative(process.cwd(), source.dir)}). The sign-in setup project saves it ` +
        "before the tests that need it; it is skipped only with --no-deps.",
    );
  }
  return { ...(JSON.parse(readFileSync(source.signIn, "utf8")) as SavedSignIn), storageStatePath: source.storageState };
}

/** Puts the saved sessionStorage back into every new tab of the app origin before its scripts run. */
export async function restoreSessionStorage(context: BrowserContext, saved: SavedSignIn): Promise<void> {
  await context.addInitScript(
    ({ origin, items, flag }) => {
      if (window.location.origin !== origin) return;
      if (window.sessionStorage.getItem(flag)) return;
      for (const { name, value } of items) window.sessionStorage.setItem(name, value);
      window.sessionStorage.setItem(flag, "1");
    },
    { origin: saved.appOrigin, items: saved.sessionStorage, flag: RESTORED_FLAG },
  );
}

export interface SignedInFixtures {
  /** The test user this test starts signed in as (saved by the setup project), or undefined for a fresh browser. */
  signedInAs: string | undefined;
  /** That user's saved sign-in (app origin, identity provider origin), when `signedInAs` is set. */
  savedSignIn: (SavedSignIn & { storageStatePath: string }) | undefined;
}

// (Playwright calls a fixture's second argument `use`; named `provide` here because the React
// hooks lint rule reads any `use(...)` call as a hook.)
export const test = base.extend<SignedInFixtures>({
  signedInAs: [undefined, { option: true }],
  savedSignIn: async ({ signedInAs }, provide, testInfo) => {
    await provide(signedInAs ? readSavedSignIn(testInfo, signedInAs) : undefined);
  },
  storageState: async ({ savedSignIn, storageState }, provide) => {
    await provide(savedSignIn ? savedSignIn.storageStatePath : storageState);
  },
  context: async ({ context, savedSignIn }, provide) => {
    if (savedSignIn) await restoreSessionStorage(context, savedSignIn);
    await provide(context);
  },
});

export { expect } from "@playwright/test";
