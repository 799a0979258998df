import { MICROSOFT_CLOUDS } from "../../../lib/config/clouds";

/** Who is showing the page the browser is on: the app itself, or one of the sign-in pages we drive. */
export type IdentityProviderKind = "entra" | "emulator";

/** Microsoft Entra ID's sign-in hosts, public and national clouds (the hosts lib/config accepts as Microsoft's). */
const ENTRA_HOSTS = new Set(MICROSOFT_CLOUDS.flatMap((cloud) => cloud.authorityHosts));
// The identity emulator listens on loopback only, always over https (emulator/index.ts).
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export class UnsupportedIdentityProviderError extends Error {
  readonly code = "unsupported_identity_provider";
}

/**
 * Chooses the page object from the host the browser landed on after "Sign in" (the authority),
 * never from what the page looks like: "app" while the browser is still on (or back on) the app.
 */
export function identityProviderAt(url: string, appOrigin: string): IdentityProviderKind | "app" {
  let here: URL;
  try {
    here = new URL(url);
  } catch {
    throw unsupported(url);
  }
  if (here.protocol !== "https:" && here.protocol !== "http:") {
    // chrome-error://chromewebdata/ (or about:blank): the navigation itself failed
    throw new UnsupportedIdentityProviderError(`The browser shows no web page (${url}): loading the sign-in page failed (a network, DNS or TLS error; see the trace or screenshot)`);
  }
  if (here.origin === new URL(appOrigin).origin) return "app";
  if (here.protocol === "https:" && ENTRA_HOSTS.has(here.hostname.toLowerCase()) && here.port === "") return "entra";
  if (here.protocol === "https:" && LOOPBACK_HOSTS.has(here.hostname)) return "emulator";
  throw unsupported(url);
}

function unsupported(url: string): UnsupportedIdentityProviderError {
  let where = url;
  try {
    where = new URL(url).origin;
  } catch {
    // keep the text as it is
  }
  return new UnsupportedIdentityProviderError(
    `The browser is at ${where}, which is not a sign-in page this suite knows (Microsoft Entra ID at ${[...ENTRA_HOSTS].join(", ")}, ` +
      "or the bundled identity emulator on https://localhost). A test user of a federated domain (AD FS or another identity provider) " +
      "signs in there instead: use a cloud-only test user (docs/deploy.md, \"Test a deployment\").",
  );
}
