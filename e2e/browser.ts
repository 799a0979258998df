import { chromium, type LaunchOptions } from "@playwright/test";
import { existsSync } from "node:fs";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

/**
 * Playwright's own Chromium when `npx playwright install` has put one on this machine,
 * otherwise Debian's (offline machines cannot download Playwright's build).
 */
export function chromiumExecutable(): string | undefined {
  try {
    const bundled = chromium.executablePath();
    if (bundled && existsSync(bundled)) return undefined; // Playwright's default is fine
  } catch {
    // no bundled browser registered
  }
  if (existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  throw new Error(
    "No Chromium found: run `npx playwright install chromium`, or on Debian/Ubuntu `apt-get install -y chromium`.",
  );
}

/**
 * Launch options: no sandbox as root (CI containers), and none of Chromium's background calls home.
 * `extraArgs`: a Microsoft-host run's --host-resolver-rules (scripts/lib/microsoft-hosts.ts).
 */
export function launchOptions(home: string | undefined, extraArgs: readonly string[] = []): LaunchOptions {
  const args = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    ...extraArgs,
  ];
  if (process.getuid?.() === 0) args.push("--no-sandbox");
  return {
    executablePath: chromiumExecutable(),
    args,
    // Chromium on Linux reads trusted CAs from $HOME/.pki/nssdb: see e2e/trust-ca.ts.
    env: home ? { ...browserEnv(process.env), HOME: home } : undefined,
  };
}

// A browser needs no credentials, and launch options end up in reports (the JSON reporter
// serialises the config): the test user's name and every secret-looking variable stay out.
const NOT_FOR_THE_BROWSER = /PASSWORD|SECRET|TOKEN|_KEY$|^E2E_USERNAME$/i;

function browserEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && !NOT_FOR_THE_BROWSER.test(entry[0])));
}
