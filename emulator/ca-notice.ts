// What a developer reads when the emulator replaces its local CA: which CA it was (its SHA-256
// fingerprint, as browsers show it) and how to remove it from each place the README suggests
// trusting it. A replaced CA stays trusted wherever it was imported until it is removed by hand,
// and a CA from an earlier version of this project carried no name constraints: it could vouch
// for any site for years.
import type { X509Certificate } from "node:crypto";
import path from "node:path";

export interface ReplacedCa {
  subject: string;
  validTo: string;
  /** SHA-256 fingerprint, colon-separated upper-case hex (what Firefox and `openssl x509 -fingerprint -sha256` show). */
  sha256: string;
  /** SHA-1 thumbprint, plain hex: what macOS `security -Z` and Windows `certutil` take. */
  sha1: string;
  /** Why it was replaced, in a few words. */
  reason: string;
  /** True when the CA could vouch for other sites (no name constraints): removing it matters. */
  unconstrained: boolean;
}

export function describeReplacedCa(cert: X509Certificate, reason: string, unconstrained: boolean): ReplacedCa {
  return {
    subject: cert.subject.replace(/\n/g, ", "),
    validTo: cert.validTo,
    sha256: cert.fingerprint256,
    sha1: cert.fingerprint.replace(/:/g, ""),
    reason,
    unconstrained,
  };
}

/** The message printed when `old` was replaced by a new CA in `stateDir`. */
export function replacedCaNotice(old: ReplacedCa, stateDir: string): string {
  const nssdb = path.join(stateDir, "browser-home", ".pki", "nssdb");
  return [
    `[emulator] Replaced the local CA (${old.reason}).`,
    old.unconstrained
      ? "  The old CA has no name constraints: it can vouch for ANY site. If you ever trusted it, remove it now."
      : "  If you trusted the old CA, remove it; trust the new one instead.",
    `  Old CA:  ${old.subject}, valid until ${old.validTo}`,
    `  SHA-256: ${old.sha256}`,
    `  SHA-1:   ${old.sha1}`,
    "  Remove it wherever it was imported:",
    '  - Firefox (each profile): Settings > Privacy & Security > Certificates > View Certificates > Authorities,',
    "    select the \"Identity Emulator Local CA\" whose SHA-256 fingerprint is above, Delete or Distrust. Or, with",
    '    Firefox closed: certutil -d sql:<profile folder> -L, then certutil -d sql:<profile folder> -D -n "<its nickname>"',
    `  - The NSS database the README suggests (Chromium on Linux): certutil -d sql:${nssdb} -D -n identity-emulator`,
    `  - macOS: security delete-certificate -Z ${old.sha1}  (login keychain; for the System keychain:`,
    `    sudo security delete-certificate -Z ${old.sha1} /Library/Keychains/System.keychain)`,
    `  - Windows: certutil -delstore -user Root ${old.sha1}  (machine store, as administrator: certutil -delstore Root ${old.sha1})`,
    `  Then trust the new CA (${path.join(stateDir, "ca.pem")}) where you need it: README.md, Troubleshooting.`,
  ].join("\n");
}
