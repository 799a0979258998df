import { defineConfig, devices } from "@playwright/test";
import path from "node:path";
import { launchOptions } from "./e2e/browser";
import { prepareChromiumHome } from "./e2e/trust-ca";

// `npm run test:e2e` runs this under scripts/with-emulator.ts, which starts the identity emulator
// and exports the app's environment (and NODE_EXTRA_CA_CERTS) for the server started below.
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;
const caCertPath = process.env.NODE_EXTRA_CA_CERTS;
const chromiumHome = caCertPath ? prepareChromiumHome(caCertPath, path.resolve(".emulator", "chromium-home")) : undefined;
if (caCertPath && !chromiumHome) {
  console.warn("[e2e] certutil not found (Debian: libnss3-tools): Chromium will ignore HTTPS errors instead of trusting the emulator CA.");
}

export default defineConfig({
  testDir: "./e2e",
  testMatch: "**/*.spec.ts",
  // e2e/deployed/ is the suite for a real deployment (playwright.deployed.config.ts), never run here.
  testIgnore: "deployed/**",
  fullyParallel: false,
  workers: 1,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    ignoreHTTPSErrors: !chromiumHome,
    launchOptions: launchOptions(chromiumHome),
  },
  projects: [
    // Signs the seeded test user in once per run and saves the browser for tests that start signed
    // in (e2e/support/signed-in.ts); the same page objects and fixture as the deployed suite.
    { name: "sign-in", testMatch: /sign-in\.setup\.ts$/, use: { ...devices["Desktop Chrome"], channel: undefined } },
    { name: "chromium", dependencies: ["sign-in"], use: { ...devices["Desktop Chrome"], channel: undefined } },
  ],
  webServer: {
    // The production server (`next build` first): some MSAL bugs only appear after a build.
    command: "node scripts/start.mjs",
    url: `${baseURL}/api/health`,
    // Production requires the public origin (lib/config): here, the address the tests browse.
    env: { PORT: String(port), APP_BASE_URL: baseURL },
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: "pipe",
    stderr: "pipe",
  },
});
