// Local PKI for the emulator: a CA, a TLS server certificate for localhost,
// the API app's client-credential certificate and the first token-signing key.
// Generated once into the (git-ignored) state folder and reused while valid, so
// browsers/OSes that trusted the CA keep trusting it across restarts.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { X509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";

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

/**
 * Makes sure every certificate exists and is usable; creates what is missing.
 * Safe to call from several processes at once (jest workers): a lock file
 * serialises generation and files are written atomically.
 */
export async function ensureCertificates(stateDir: string): Promise<CertificatePaths> {
  const paths = certificatePaths(stateDir);
  await fs.mkdir(paths.stateDir, { recursive: true });
  if (await allValid(paths)) return paths;
  const release = await acquireLock(path.join(paths.stateDir, ".certs.lock"));
  try {
    await generateMissing(paths);
  } finally {
    await release();
  }
  return paths;
}

async function allValid(p: CertificatePaths): Promise<boolean> {
  const ca = await readCert(p.caCertPath, p.caKeyPath);
  if (!ca) return false;
  const server = await readCert(p.serverCertPath, p.serverKeyPath);
  if (!server || !serverCertFits(server, ca)) return false;
  return Boolean(
    (await readCert(p.apiClientCertPath, p.apiClientKeyPath)) &&
      (await readCert(p.signingCertPath, p.signingKeyPath)),
  );
}

async function generateMissing(p: CertificatePaths): Promise<void> {
  let ca = await readCert(p.caCertPath, p.caKeyPath);
  let caRegenerated = false;
  if (!ca) {
    await createCa(p);
    ca = await readCert(p.caCertPath, p.caKeyPath);
    caRegenerated = true;
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

function serverCertFits(server: X509Certificate, ca: X509Certificate): boolean {
  const san = server.subjectAltName ?? "";
  return (
    server.checkIssued(ca) &&
    server.verify(ca.publicKey) &&
    san.includes("DNS:localhost") &&
    san.includes("IP Address:127.0.0.1")
  );
}

async function createCa(p: CertificatePaths): Promise<void> {
  const keys = (await webcrypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=Identity Emulator Local CA, O=ms-identity-nextjs (development only)",
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + 3650 * DAY_MS),
    keys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writePair(p.caCertPath, p.caKeyPath, cert, keys.privateKey);
}

async function createServerCert(p: CertificatePaths): Promise<void> {
  const caCert = new x509.X509Certificate(await fs.readFile(p.caCertPath, "utf8"));
  const caKey = await importPkcs8(await fs.readFile(p.caKeyPath, "utf8"), EC_PARAMS);
  const keys = (await webcrypto.subtle.generateKey(EC_PARAMS, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=localhost",
    issuer: caCert.subject,
    notBefore: new Date(now - DAY_MS),
    // Browsers cap leaf lifetimes; 397 days stays under every limit.
    notAfter: new Date(now + 397 * DAY_MS),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
        { type: "ip", value: "::1" },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  await writePair(p.serverCertPath, p.serverKeyPath, cert, keys.privateKey);
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

async function writePair(certPath: string, keyPath: string, cert: x509.X509Certificate, key: CryptoKey): Promise<void> {
  // Key first: a reader that sees the new certificate must also see its key.
  await writeAtomic(keyPath, await exportPkcs8(key), 0o600);
  await writeAtomic(certPath, cert.toString("pem"), 0o644);
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
