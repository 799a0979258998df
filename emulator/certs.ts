// Local PKI for the emulator: a CA, a TLS server certificate for localhost,
// the API app's client-credential certificate and the first token-signing key.
// Generated once into the (git-ignored) state folder and reused while valid, so
// browsers/OSes that trusted the CA keep trusting it across restarts.
//
// The CA is trusted on a developer's machine, so it is made harmless elsewhere:
// critical name constraints (it can vouch for localhost, 127.0.0.1 and ::1
// only; TLS stacks refuse anything else it signs) and a 30-day lifetime (it is
// replaced when it expires within 3 days, or when an older, unconstrained or
// long-lived CA is found).
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { describeReplacedCa, replacedCaNotice, type ReplacedCa } from "./ca-notice";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface CertificatePaths {
  stateDir: string;
  caCertPath: string;
  caKeyPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** Certificate registered on the API app (certificate client credential). */
  apiClientCertPath: string;
  apiClientKeyPath: string;
  /** The seed token-signing key (rotated keys live in memory only). */
  signingCertPath: string;
  signingKeyPath: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_DAYS = 30;
/** Replace the CA (and the server certificate) when it has less than this left. */
const CA_RENEW_DAYS = 3;
const NAME_CONSTRAINTS_OID = "2.5.29.30";
const IPV4_LOOPBACK = Buffer.from([127, 0, 0, 1, 255, 255, 255, 255]);
const IPV6_LOOPBACK = Buffer.concat([Buffer.alloc(15), Buffer.from([1]), Buffer.alloc(16, 0xff)]);
/**
 * DER of NameConstraints { permittedSubtrees: dNSName "localhost", iPAddress 127.0.0.1/32,
 * iPAddress ::1/128 } (RFC 5280 §4.2.1.10): the local CA's constraints.
 */
const NAME_CONSTRAINTS_DER = nameConstraintsDer(["localhost"], [IPV4_LOOPBACK, IPV6_LOOPBACK]);
const RSA_PARAMS: RsaHashedKeyGenParams = {
  name: "RSASSA-PKCS1-v1_5",
  hash: "SHA-256",
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
};
const EC_PARAMS: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const EC_SIGN: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

export function certificatePaths(stateDir: string): CertificatePaths {
  const dir = path.resolve(stateDir);
  return {
    stateDir: dir,
    caCertPath: path.join(dir, "ca.pem"),
    caKeyPath: path.join(dir, "ca-key.pem"),
    serverCertPath: path.join(dir, "server.pem"),
    serverKeyPath: path.join(dir, "server-key.pem"),
    apiClientCertPath: path.join(dir, "api-client-cert.pem"),
    apiClientKeyPath: path.join(dir, "api-client-key.pem"),
    signingCertPath: path.join(dir, "signing-cert.pem"),
    signingKeyPath: path.join(dir, "signing-key.pem"),
  };
}

export interface EnsureCertificatesOptions {
  /** Told when an existing CA was replaced (how to remove it where it was trusted). Default: printed to stderr. */
  onCaReplaced?: (notice: string) => void;
}

/**
 * Makes sure every certificate exists and is usable; creates what is missing.
 * Safe to call from several processes at once (jest workers): a lock file
 * serialises generation and files are written atomically.
 */
export async function ensureCertificates(stateDir: string, options: EnsureCertificatesOptions = {}): Promise<CertificatePaths> {
  const paths = certificatePaths(stateDir);
  await fs.mkdir(paths.stateDir, { recursive: true });
  if (await allValid(paths)) return paths;
  const release = await acquireLock(path.join(paths.stateDir, ".certs.lock"));
  try {
    await generateMissing(paths, options.onCaReplaced ?? ((notice) => console.warn(notice)));
  } finally {
    await release();
  }
  return paths;
}

async function allValid(p: CertificatePaths): Promise<boolean> {
  const ca = await readCa(p);
  if (!ca) return false;
  const server = await readCert(p.serverCertPath, p.serverKeyPath);
  if (!server || !serverCertFits(server, ca)) return false;
  return Boolean(
    (await readCert(p.apiClientCertPath, p.apiClientKeyPath)) &&
      (await readCert(p.signingCertPath, p.signingKeyPath)),
  );
}

async function generateMissing(p: CertificatePaths, onCaReplaced: (notice: string) => void): Promise<void> {
  let ca = await readCa(p);
  let caRegenerated = false;
  if (!ca) {
    const old = await replacedCa(p.caCertPath);
    await createCa(p);
    ca = await readCa(p);
    caRegenerated = true;
    if (ca && old) onCaReplaced(replacedCaNotice(old, p.stateDir));
  }
  if (!ca) throw new Error("could not create the emulator CA");
  const server = await readCert(p.serverCertPath, p.serverKeyPath);
  if (caRegenerated || !server || !serverCertFits(server, ca)) await createServerCert(p);
  if (!(await readCert(p.apiClientCertPath, p.apiClientKeyPath))) {
    await createSelfSignedRsa(p.apiClientCertPath, p.apiClientKeyPath, "CN=Contoso reference API client credential (emulated)", 730);
  }
  if (!(await readCert(p.signingCertPath, p.signingKeyPath))) {
    await createSelfSignedRsa(p.signingCertPath, p.signingKeyPath, "CN=Identity emulator token signing", 3650);
  }
}

/** A certificate that parses, matches its key and is valid for at least another day. */
async function readCert(certPath: string, keyPath: string): Promise<X509Certificate | null> {
  try {
    const [certPem, keyPem] = await Promise.all([fs.readFile(certPath, "utf8"), fs.readFile(keyPath, "utf8")]);
    const cert = new X509Certificate(certPem);
    const key = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(key)) return null;
    if (new Date(cert.validTo).getTime() < Date.now() + DAY_MS) return null;
    if (new Date(cert.validFrom).getTime() > Date.now() + 60_000) return null;
    return cert;
  } catch {
    return null;
  }
}

/** The CA, when it is ours as this version makes it: name-constrained, short-lived, not about to expire. */
async function readCa(p: CertificatePaths): Promise<X509Certificate | null> {
  const ca = await readCert(p.caCertPath, p.caKeyPath);
  if (!ca) return null;
  const lifetimeMs = Date.parse(ca.validTo) - Date.parse(ca.validFrom);
  if (lifetimeMs > (CA_LIFETIME_DAYS + 1) * DAY_MS) return null;
  if (Date.parse(ca.validTo) < Date.now() + CA_RENEW_DAYS * DAY_MS) return null;
  const constraints = new x509.X509Certificate(ca.raw).getExtension(NAME_CONSTRAINTS_OID);
  if (!constraints?.critical || !Buffer.from(constraints.value).equals(NAME_CONSTRAINTS_DER)) return null;
  return ca;
}

/** The CA about to be replaced, if a certificate is there at all (a developer may have trusted it). */
async function replacedCa(caCertPath: string): Promise<ReplacedCa | undefined> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await fs.readFile(caCertPath));
  } catch {
    return undefined; // none yet, or unreadable: nothing anyone could have trusted
  }
  const constraints = new x509.X509Certificate(cert.raw).getExtension(NAME_CONSTRAINTS_OID);
  const constrained = Boolean(constraints?.critical && Buffer.from(constraints.value).equals(NAME_CONSTRAINTS_DER));
  const lifetimeMs = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
  const reason = !constrained
    ? "it was an older CA without name constraints"
    : lifetimeMs > (CA_LIFETIME_DAYS + 1) * DAY_MS
      ? "it lived longer than 30 days"
      : Date.parse(cert.validTo) < Date.now() + CA_RENEW_DAYS * DAY_MS
        ? "it expires within 3 days"
        : "its key was missing or did not match";
  return describeReplacedCa(cert, reason, !constrained);
}

function serverCertFits(server: X509Certificate, ca: X509Certificate): boolean {
  const san = server.subjectAltName ?? "";
  return (
    server.checkIssued(ca) &&
    server.verify(ca.publicKey) &&
    Date.parse(server.validTo) <= Date.parse(ca.validTo) &&
    san.includes("DNS:localhost") &&
    san.includes("IP Address:127.0.0.1")
  );
}

async function createCa(p: CertificatePaths): Promise<void> {
  const ca = await generateCa("CN=Identity Emulator Local CA, O=ms-identity-nextjs (development only)", NAME_CONSTRAINTS_DER, CA_LIFETIME_DAYS * DAY_MS);
  await writeAtomic(p.caKeyPath, ca.keyPem, 0o600);
  await writeAtomic(p.caCertPath, ca.certPem, 0o644);
}

async function createServerCert(p: CertificatePaths): Promise<void> {
  const ca = { certPem: await fs.readFile(p.caCertPath, "utf8"), keyPem: await fs.readFile(p.caKeyPath, "utf8") };
  const leaf = await generateLeaf(ca, "CN=localhost", [
    { type: "dns", value: "localhost" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
  ]);
  await writeAtomic(p.serverKeyPath, leaf.keyPem, 0o600);
  await writeAtomic(p.serverCertPath, leaf.certPem, 0o644);
}

/** A certificate and its private key (PKCS#8), both PEM. */
export interface PemPair {
  certPem: string;
  keyPem: string;
}

/**
 * A CA that can vouch for `dnsNames` only: critical name constraints permitting exactly those
 * names (RFC 5280 §4.2.1.10; a dNSName constraint also permits names below it, so pass exact
 * host names, never a parent domain), pathlen 0, living `lifetimeMs`. Nothing is written to disk:
 * the caller decides where it lives (the Microsoft-host test runs keep it in a temporary folder).
 */
export async function createNameConstrainedCa(subject: string, dnsNames: readonly string[], lifetimeMs: number): Promise<PemPair> {
  if (dnsNames.length === 0) throw new Error("a name-constrained CA needs at least one DNS name");
  return generateCa(subject, nameConstraintsDer(dnsNames, []), lifetimeMs);
}

/** A TLS server certificate for exactly `dnsNames`, signed by `ca`, never outliving it. */
export async function issueServerCertificate(ca: PemPair, dnsNames: readonly string[]): Promise<PemPair> {
  if (dnsNames.length === 0) throw new Error("a server certificate needs at least one DNS name");
  return generateLeaf(ca, `CN=${dnsNames[0]}`, dnsNames.map((value) => ({ type: "dns" as const, value })));
}

/**
 * DER of NameConstraints with only permitted subtrees: a dNSName per host name and an iPAddress
 * (address followed by mask) per entry of `ipSubtrees`. No excluded subtrees.
 */
export function nameConstraintsDer(dnsNames: readonly string[], ipSubtrees: readonly Buffer[]): Buffer {
  for (const name of dnsNames) {
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(name)) throw new Error(`not a host name: '${name}'`);
  }
  return derSequence(0x30, [
    derSequence(0xa0, [
      ...dnsNames.map((name) => derSequence(0x30, [derValue(0x82, Buffer.from(name.toLowerCase(), "ascii"))])),
      ...ipSubtrees.map((range) => derSequence(0x30, [derValue(0x87, range)])),
    ]),
  ]);
}

async function generateCa(subject: string, nameConstraints: Buffer, lifetimeMs: number): Promise<PemPair> {
  const keys = (await webcrypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + lifetimeMs),
    keys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.Extension(NAME_CONSTRAINTS_OID, true, Uint8Array.from(nameConstraints)),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPkcs8(keys.privateKey) };
}

async function generateLeaf(ca: PemPair, subject: string, names: x509.JsonGeneralName[]): Promise<PemPair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPkcs8(ca.keyPem, EC_PARAMS);
  const keys = (await webcrypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 3600_000),
    // Never outlives its CA (which is short-lived; browsers' 397-day leaf cap is far beyond it).
    notAfter: caCert.notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPkcs8(keys.privateKey) };
}

/** RSA self-signed certificate (client credential, token signing need RSA). */
export async function generateSelfSignedRsa(
  subject: string,
  days: number,
): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await webcrypto.subtle.generateKey(RSA_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subject,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + days * DAY_MS),
    keys,
    signingAlgorithm: RSA_PARAMS,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return { certPem: cert.toString("pem"), keyPem: await exportPkcs8(keys.privateKey) };
}

async function createSelfSignedRsa(certPath: string, keyPath: string, subject: string, days: number): Promise<void> {
  const { certPem, keyPem } = await generateSelfSignedRsa(subject, days);
  await writeAtomic(keyPath, keyPem, 0o600);
  await writeAtomic(certPath, certPem, 0o644);
}

async function exportPkcs8(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const b64 = der.toString("base64").replace(/(.{64})/g, "$1\n").trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importPkcs8(pem: string, algorithm: EcKeyImportParams | RsaHashedImportParams): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ format: "der", type: "pkcs8" });
  return webcrypto.subtle.importKey("pkcs8", der, algorithm, false, ["sign"]);
}

async function writeAtomic(file: string, content: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, content, { mode });
  await fs.chmod(tmp, mode);
  await fs.rename(tmp, file);
}

/** One DER TLV (definite length, short or long form). */
function derValue(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : n < 0x10000 ? Buffer.from([0x82, n >> 8, n & 0xff]) : undefined;
  if (!length) throw new Error("DER content too long");
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function derSequence(tag: number, items: Buffer[]): Buffer {
  return derValue(tag, Buffer.concat(items));
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive INTEGER
  return Buffer.from(bytes).toString("hex");
}

/** Cross-process lock with stale-lock recovery (a crashed generator must not block forever). */
async function acquireLock(lockPath: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return async () => {
        await fs.rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        const stat = await fs.stat(lockPath);
        if (Date.now() - stat.mtimeMs > 30_000) await fs.rm(lockPath, { force: true });
      } catch {
        /* lock vanished meanwhile: retry */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
