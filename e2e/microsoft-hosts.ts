import path from "node:path";
import { prepareChromiumHome } from "./trust-ca";

/**
 * Chromium in a Microsoft-host test run (scripts/microsoft-hosts.ts): the run's --host-resolver-rules
 * (Microsoft's host names on port 443 → the emulator's port) and a throwaway HOME whose NSS database
 * trusts the run's own CA (plus `otherCas`, e.g. the App Service-like front end's). The launcher
 * passes three variables; none of them is set in any other run, and then this returns undefined.
 */
export interface MicrosoftHostsBrowser {
  home: string;
  args: string[];
}

const VARIABLES = ["E2E_HOST_RESOLVER_RULES", "E2E_MICROSOFT_HOSTS_CA", "E2E_MICROSOFT_HOSTS_DIR"] as const;

export function microsoftHostsBrowser(otherCas: readonly string[] = []): MicrosoftHostsBrowser | undefined {
  const [rules, ca, dir] = VARIABLES.map((name) => process.env[name]?.trim() || undefined);
  if (!rules && !ca && !dir) return undefined;
  if (!rules || !ca || !dir) throw new Error(`A Microsoft-host run needs all of ${VARIABLES.join(", ")}: start it with scripts/microsoft-hosts.ts`);
  if (!/^(MAP [a-z0-9.-]+:443 127\.0\.0\.1:\d+)(, MAP [a-z0-9.-]+:443 127\.0\.0\.1:\d+)*$/.test(rules)) {
    throw new Error(`E2E_HOST_RESOLVER_RULES must map host names on port 443 to 127.0.0.1 only, got "${rules}"`);
  }
  // The browser's HOME lives in the run's temporary folder, deleted with it.
  const home = prepareChromiumHome([...otherCas, ca], path.join(dir, "chromium-home"));
  if (!home) throw new Error("certutil (Debian: libnss3-tools) is missing: Chromium cannot be made to trust the run's CA");
  return { home, args: [`--host-resolver-rules=${rules}`] };
}
