import { expect, type Locator, type Page } from "@playwright/test";

/** A test user's sign-in name and password. */
export interface Credentials {
  username: string;
  password: string;
}

/**
 * Types a secret into a field without it showing up anywhere: Playwright titles a fill step with
 * its value (`Fill "<value>"`), which the HTML report and traces keep, and CI uploads the report.
 * Sets the value through the input's own setter and fires the events a person's typing fires, so
 * plain forms, knockout (Entra's classic page) and React-controlled inputs all see it.
 */
export async function fillSecret(field: Locator, value: string): Promise<void> {
  await expect(field).toBeEditable();
  await field.evaluate((element, secret) => {
    const input = element as HTMLInputElement;
    input.focus();
    const setValue = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set;
    if (setValue) setValue.call(input, secret);
    else input.value = secret;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }, value);
}

/** Whether `url` is on `origin` (the app). */
export function isOn(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

export const BACK_ON_THE_APP = "back on the app";

/**
 * Waits until the browser is back on the app or one of `steps` is visible, and says which (the
 * first visible in `steps`' order, so put the specific ones first). Sign-in pages show their
 * steps in an order the tenant decides (account picker, "Stay signed in?", consent), so a page
 * object asks "where am I?" after each action instead of assuming the next page.
 */
export async function nextStep<Step extends string>(
  page: Page,
  appOrigin: string,
  steps: Record<Step, Locator>,
  { timeout = 30_000, waitingFor = "the next sign-in step" }: { timeout?: number; waitingFor?: string } = {},
): Promise<Step | typeof BACK_ON_THE_APP> {
  let found: Step | typeof BACK_ON_THE_APP | undefined;
  await expect
    .poll(
      async () => {
        if (isOn(page.url(), appOrigin)) return (found = BACK_ON_THE_APP);
        for (const [name, locator] of Object.entries(steps) as [Step, Locator][]) {
          if ((await locator.filter({ visible: true }).count().catch(() => 0)) > 0) return (found = name);
        }
        return undefined;
      },
      { timeout, intervals: [100, 250, 500], message: `waiting for ${waitingFor} at ${new URL(page.url()).origin} (known steps: ${Object.keys(steps).join(", ")})` },
    )
    .toBeDefined();
  return found as Step | typeof BACK_ON_THE_APP;
}

/** The visible text of the first visible match, for error messages. */
export async function visibleText(locator: Locator): Promise<string> {
  const text = await locator.filter({ visible: true }).first().innerText().catch(() => "");
  return text.replace(/\s+/g, " ").trim();
}
