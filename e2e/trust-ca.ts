import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";

/**
 * Makes Chromium trust the emulator's CA for real (no ignoreHTTPSErrors), by importing it into
 * an NSS database under a throwaway HOME. Needs `certutil` (Debian: libnss3-tools). Returns the
 * HOME to launch Chromium with, or undefined when certutil is missing (callers then fall back
 * to ignoring certificate errors and say so). Several CAs may be given (a Microsoft-host run
 * trusts its own per-run CA beside the emulator's localhost one): each goes into that database only.
 */
export function prepareChromiumHome(caCertPaths: string | readonly string[], home: string): string | undefined {
  const nssdb = path.join(home, ".pki", "nssdb");
  try {
    execFileSync("certutil", ["--version"], { stdio: "ignore" });
  } catch (error) {
    // certutil --version exits 1 on some builds yet exists; only ENOENT means missing.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  rmSync(nssdb, { recursive: true, force: true });
  mkdirSync(nssdb, { recursive: true });
  execFileSync("certutil", ["-d", `sql:${nssdb}`, "-N", "--empty-password"], { stdio: "ignore" });
  const paths = typeof caCertPaths === "string" ? [caCertPaths] : caCertPaths;
  paths.forEach((caCertPath, i) => {
    execFileSync("certutil", ["-d", `sql:${nssdb}`, "-A", "-t", "C,,", "-n", i === 0 ? "identity-emulator-ca" : `identity-emulator-ca-${i + 1}`, "-i", caCertPath], {
      stdio: "ignore",
    });
  });
  return home;
}
