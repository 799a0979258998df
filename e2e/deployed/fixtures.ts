import type { ConsoleMessage, Page } from "@playwright/test";
import { expect, test as signedInTest } from "../support/signed-in";
import type { Credentials } from "../support/sign-in";

/** The deployment's test user, from the environment only (scripts/e2e-deployed.ts checked it). */
export function deployedUser(): Credentials {
  const username = process.env.E2E_USERNAME?.trim();
  const password = process.env.E2E_PASSWORD;
  if (!username || !password) throw new Error("E2E_USERNAME and E2E_PASSWORD are not set: run the deployed suite with `npm run test:e2e:deployed`");
  return { username, password };
}

/** The one error the app's pages may log: the browser's line for a user without a Graph photo (404, shown as initials). */
function isExpected(message: ConsoleMessage): boolean {
  const source = message.location().url;
  return message.text().startsWith("Failed to load resource") && message.text().includes(" 404 ") && source !== "" && new URL(source).pathname === "/api/me/photo";
}

function onOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}

interface DeployedFixtures {
  appOrigin: string;
  /** Console errors and uncaught page errors of the app (not of the identity provider's pages), checked after every test. */
  appErrors: string[];
}

export const test = signedInTest.extend<DeployedFixtures>({
  appOrigin: async ({ baseURL }, provide) => {
    await provide(new URL(baseURL ?? "").origin);
  },
  appErrors: [
    async ({ context, appOrigin }, provide) => {
      const errors: string[] = [];
      const watch = (page: Page) => {
        const where = () => new URL(page.url()).pathname;
        page.on("pageerror", (error) => {
          if (onOrigin(page.url(), appOrigin)) errors.push(`page error on ${where()}: ${error.message}`);
        });
        page.on("console", (message) => {
          if (message.type() !== "error" || !onOrigin(page.url(), appOrigin) || isExpected(message)) return;
          const source = message.location().url;
          if (source && !onOrigin(source, appOrigin)) return; // the identity provider's own frames
          errors.push(`console error on ${where()}: ${message.text()}${source ? ` (${source})` : ""}`);
        });
      };
      context.pages().forEach(watch);
      context.on("page", watch);
      await provide(errors);
      expect(errors, "console or page errors in the app").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
