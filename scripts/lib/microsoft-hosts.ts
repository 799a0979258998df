/**
 * The Microsoft-host test runs (issue #20 §1): the product configured exactly as a production
 * deployment (login.microsoftonline.com, graph.microsoft.com, management.azure.com by default, no
 * knownAuthorities, tenant mode), talking to the identity emulator, which answers under those names.
 *
 * What makes those names reach the emulator exists only in the test run, never in the product:
 *   - a CA made for this run alone, in a temporary folder: critical name constraints for exactly
 *     the cloud's host names (a dNSName constraint also permits the names below it, so only these
 *     exact hosts are listed, never a parent domain such as microsoft.com), valid one day; its
 *     private key never touches the disk (it signs the emulator's certificate in memory and is
 *     dropped). It is trusted only by the processes and the browser profile of this run
 *     (NODE_EXTRA_CA_CERTS; an NSS database under a throwaway HOME), never by a system or user
 *     trust store, and it is not the CA `npm run dev` asks a developer to trust (.emulator/ca.pem);
 *   - name resolution: Node processes load scripts/lib/test-host-map.cjs (NODE_OPTIONS=--require),
 *     Chromium gets --host-resolver-rules.
 * The folder is deleted when the run ends, fails or is interrupted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createNameConstrainedCa, issueServerCertificate, microsoftHostNames, type EmulatorCloudName, type PemPair, type TenantDescription } from "../../emulator";
import { emulatorAppEnv } from "./emulator-env";

/** The test-only Node preload (see its header). */
export const HOST_MAP_PRELOAD = path.resolve(__dirname, "test-host-map.cjs");
/** The preload's variable: "<name>,<name>=127.0.0.1:<port>". */
export const HOST_MAP_VARIABLE = "TEST_HOST_MAP";
const CA_SUBJECT = "CN=Microsoft-host test CA (one test run only), O=ms-identity-nextjs tests";
const CA_LIFETIME_MS = 24 * 3600 * 1000;

export interface MicrosoftHostsRun {
  cloud: EmulatorCloudName;
  /** Every host name this run maps and certifies. */
  names: string[];
  /** The run's temporary folder (deleted by cleanup()). */
  dir: string;
  /** The run's CA certificate (PEM file): the only extra CA the app and the CLIs trust. */
  caPath: string;
  /** The emulator's certificate for `names` (for startEmulator({ microsoftHosts })). */
  leaf: PemPair;
  /** Deletes the folder (idempotent). */
  cleanup(): void;
}

/** Makes the run's CA and certificate in a new temporary folder, deleted on exit, failure or interrupt. */
export async function createMicrosoftHostsRun(cloud: EmulatorCloudName): Promise<MicrosoftHostsRun> {
  const names = microsoftHostNames(cloud);
  const dir = mkdtempSync(path.join(tmpdir(), "microsoft-hosts-"));
  let removed = false;
  const cleanup = () => {
    if (removed) return;
    removed = true;
    rmSync(dir, { recursive: true, force: true });
    process.off("exit", cleanup);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    // Exit unless someone else (a launcher forwarding the signal to its child) handles it.
    if (process.listenerCount(signal) === 0) process.exit(128 + (signal === "SIGINT" ? 2 : signal === "SIGTERM" ? 15 : 1));
  };
  process.on("exit", cleanup);
  for (const signal of SIGNALS) process.on(signal, onSignal);
  try {
    const ca = await createNameConstrainedCa(CA_SUBJECT, names, CA_LIFETIME_MS);
    const leaf = await issueServerCertificate(ca, names);
    const caPath = path.join(dir, "microsoft-hosts-ca.pem");
    writeFileSync(caPath, ca.certPem, { mode: 0o644 });
    return { cloud, names, dir, caPath, leaf, cleanup };
  } catch (error) {
    cleanup();
    throw error;
  }
}

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/** The environment that makes a Node process reach `names` at the emulator (the preload and its map). */
export function nodeHostMapEnv(names: readonly string[], emulatorPort: number, nodeOptions = ""): Record<string, string> {
  return {
    NODE_OPTIONS: `${nodeOptions} --require ${JSON.stringify(HOST_MAP_PRELOAD)}`.trim(),
    [HOST_MAP_VARIABLE]: `${names.join(",")}=127.0.0.1:${emulatorPort}`,
  };
}

/** Chromium's equivalent: each name on port 443 goes to the emulator's port. */
export function hostResolverRules(names: readonly string[], emulatorPort: number): string {
  return names.map((name) => `MAP ${name}:443 127.0.0.1:${emulatorPort}`).join(", ");
}

/**
 * The app's configuration in a Microsoft-host run: what a production deployment sets (infra/main.bicep's
 * app settings with a client secret), in tenant mode. The sign-in host is the cloud's own; Graph, ARM,
 * their scopes and the token-exchange audience are left to their defaults (derived from the sign-in
 * host, lib/config/clouds.ts), as in production. Variables a developer's .env.local could bring in
 * (loaded by `npm start`) are blanked: empty means unset to lib/config.
 */
export function microsoftHostsAppEnv(tenant: TenantDescription, sessionPassword: string): Record<string, string> {
  if (!tenant.microsoftHosts) throw new Error("the emulator was started without a certificate for the Microsoft host names");
  // The emulator runs' registrations, authorization and blanks; what differs is production's.
  const env: Record<string, string> = {
    ...emulatorAppEnv(tenant, sessionPassword),
    IDENTITY_MODE: "",
    AZURE_AUTHORITY_HOST: tenant.microsoftHosts.authorityHost,
    GRAPH_BASE_URL: "",
    ARM_BASE_URL: "",
    GRAPH_SCOPES: "",
    ARM_SCOPES: "",
    AZURE_TOKEN_EXCHANGE_AUDIENCE: "",
    EMULATOR_TENANT_FILE: "",
  };
  delete env.NODE_EXTRA_CA_CERTS; // the run's CA, not the localhost one (playwright.microsoft-hosts.config.ts)
  return env;
}

/**
 * What must never appear in the product's build: the preload's name and variable, Chromium's
 * mapping flag, this run's CA (its subject and a piece of its key material). Returns each file of
 * `dir` (recursively) that holds one, with what it holds; empty when the build is clean.
 */
export function findTestOnlyMaterial(dir: string, caPem: string): { file: string; found: string }[] {
  // 40 characters of one base64 line from the middle of the certificate: unique to this run's CA,
  // and found whether the PEM was copied as text or escaped into JSON.
  const lines = caPem.split(/\r?\n/).filter((l) => /^[A-Za-z0-9+/=]{56,}$/.test(l));
  const caPiece = (lines[Math.floor(lines.length / 2)] ?? "").slice(8, 48);
  if (caPiece.length < 40) throw new Error("not a PEM certificate");
  const markers = [
    "test-host-map",
    HOST_MAP_VARIABLE,
    "host-resolver-rules",
    "Microsoft-host test CA",
    caPiece,
  ];
  const hits: { file: string; found: string }[] = [];
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && statSync(full).size < 64 * 1024 * 1024) {
        const text = readFileSync(full).toString("latin1");
        for (const marker of markers) if (text.includes(marker)) hits.push({ file: path.relative(dir, full), found: marker });
      }
    }
  };
  walk(dir);
  return hits;
}
