import { defineConfig } from "@playwright/test";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { launchOptions } from "./e2e/browser";
import { microsoftHostsBrowser } from "./e2e/microsoft-hosts";
import base from "./playwright.config";
import { microsoftHostsAppEnv } from "./scripts/lib/microsoft-hosts";
import type { TenantDescription } from "./emulator";

/**
 * The e2e suite against the app configured exactly as a production deployment is (issue #20 §1):
 * tenant mode, AZURE_AUTHORITY_HOST = the cloud's own sign-in host, Graph and ARM left to their
 * defaults (graph.microsoft.com, management.azure.com or the US Government ones), no
 * knownAuthorities; the identity emulator answers under those names. Run it with
 * `npm run test:e2e:microsoft-hosts` (scripts/microsoft-hosts.ts), which makes the run's CA and name
 * mapping and passes them here.
 */
const tenantFile = process.env.EMULATOR_TENANT_FILE;
const runCa = process.env.E2E_MICROSOFT_HOSTS_CA;
if (!tenantFile || !runCa) throw new Error("Run this suite with `npm run test:e2e:microsoft-hosts` (scripts/microsoft-hosts.ts)");
const tenant = JSON.parse(readFileSync(tenantFile, "utf8")) as TenantDescription;
const browser = microsoftHostsBrowser();
if (!browser) throw new Error("Run this suite with `npm run test:e2e:microsoft-hosts` (scripts/microsoft-hosts.ts)");

/**
 * The specs that run in this mode: the sign-in setup, the proof of which hosts were used, the SPA
 * sign-in → profile → subscriptions journey, the web app, sign-out, consent and continuous access
 * evaluation (README "Tests" says why not all: time).
 */
const SPECS = ["identity-hosts", "spa", "web", "sign-out", "consent", "cae"].map((name) => `**/${name}.spec.ts`);
const cloud = tenant.cloud;

export default defineConfig({
  ...base,
  testMatch: SPECS,
  outputDir: `test-results/microsoft-hosts-${cloud}`,
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never", outputFolder: `playwright-report/microsoft-hosts-${cloud}` }]],
  use: {
    ...base.use,
    // Chromium trusts the run's CA only (NSS under the run's HOME); never ignoreHTTPSErrors.
    ignoreHTTPSErrors: false,
    launchOptions: launchOptions(browser.home, browser.args),
  },
  webServer: base.webServer && !Array.isArray(base.webServer)
    ? {
        ...base.webServer,
        // Not reused: a server started by another run would be configured for localhost.
        reuseExistingServer: false,
        env: {
          ...base.webServer.env,
          ...microsoftHostsAppEnv(tenant, randomBytes(32).toString("base64url")),
          // Entra's, Graph's and ARM's certificates chain to the run's CA here (public CAs in production).
          NODE_EXTRA_CA_CERTS: runCa,
        },
      }
    : base.webServer,
});
