import { defineConfig, devices } from "@playwright/test";
import path from "node:path";
import { launchOptions } from "./e2e/browser";
import { microsoftHostsBrowser } from "./e2e/microsoft-hosts";
import { prepareChromiumHome } from "./e2e/trust-ca";

/**
 * The deployed suite (e2e/deployed/): the critical path of a deployment someone names, signed in as
 * a test user of its tenant, with no server and no identity emulator of its own. Run it with
 * `npm run test:e2e:deployed` (scripts/e2e-deployed.ts), which checks E2E_BASE_URL, E2E_USERNAME
 * and E2E_PASSWORD first and hands this run nothing of the emulator.
 */
const baseURL = process.env.E2E_BASE_URL;
if (!baseURL) throw new Error("E2E_BASE_URL is not set: run the deployed suite with `npm run test:e2e:deployed`");

// A deployment behind a private CA (and the offline run in `npm test`, behind the emulator's CA):
// Chromium trusts it through an NSS database, as in the emulator suite; never ignoreHTTPSErrors.
const caCert = process.env.E2E_CA_CERT?.trim();
// Only in the Microsoft-host run of `npm test` (scripts/microsoft-hosts.ts): Chromium reaches Entra's,
// Graph's and ARM's host names at the identity emulator, trusting that run's own CA as well.
const microsoftHosts = microsoftHostsBrowser(caCert ? [caCert] : []);
const chromiumHome = microsoftHosts?.home ?? (caCert ? prepareChromiumHome(caCert, path.resolve("node_modules", ".cache", "e2e-deployed", "chromium-home")) : undefined);
if (caCert && !chromiumHome) throw new Error("E2E_CA_CERT is set, but certutil (Debian: libnss3-tools) is missing: Chromium cannot be made to trust that CA");

const chromium = { ...devices["Desktop Chrome"], channel: undefined };

export default defineConfig({
  testDir: "./e2e/deployed",
  outputDir: "test-results/deployed",
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // Real sign-in pages and a cold App Service instance are slower than the emulator.
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report/deployed" }], ["./e2e/support/skipped-reporter.ts"]],
  use: {
    baseURL,
    navigationTimeout: 30_000,
    // No traces or videos, ever: a trace keeps every token the browser received and every field
    // typed, and CI uploads the report. A screenshot on failure shows the page, not the password.
    trace: "off",
    video: "off",
    screenshot: "only-on-failure",
    ignoreHTTPSErrors: false,
    launchOptions: launchOptions(chromiumHome, microsoftHosts?.args),
  },
  projects: [
    // Signs the test user in once, through the real sign-in page, and saves the browser (e2e/support/signed-in.ts).
    { name: "deployed-sign-in", testMatch: /sign-in\.setup\.ts$/, use: chromium },
    { name: "deployed", testMatch: /\.spec\.ts$/, dependencies: ["deployed-sign-in"], use: chromium },
  ],
});
