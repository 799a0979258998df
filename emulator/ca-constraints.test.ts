// Issue #14 item 6: the emulator's CA is trusted by browsers and Node on a developer's machine,
// so it must not be able to vouch for any other site, and must not live for years.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { ensureCertificates } from "./index";

const DAY_MS = 24 * 3600 * 1000;

function openssl(args: string[], cwd: string): string {
  return execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** A TLS server certificate for `san` (e.g. DNS:evil.example), signed with the emulator CA's key. */
function issueLeaf(dir: string, san: string): { cert: string; key: string } {
  const name = san.replace(/[^a-z0-9]/gi, "_");
  openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=leaf", "-addext", `subjectAltName=${san}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial", "-days", "2", "-copy_extensions", "copy", "-out", `${name}.pem`], dir);
  return { cert: readFileSync(path.join(dir, `${name}.pem`), "utf8"), key: readFileSync(path.join(dir, `${name}.key`), "utf8") };
}

/** What Node's TLS (OpenSSL) says about a server presenting `leaf` to a client that trusts only `caPem`. */
async function tlsVerdict(leaf: { cert: string; key: string }, caPem: string): Promise<string> {
  const server = tls.createServer({ cert: leaf.cert, key: leaf.key }, (socket) => socket.end());
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (s) => sockets.add(s));
  server.on("tlsClientError", () => undefined); // the client refusing our certificate is the expected outcome
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    return await new Promise<string>((resolve) => {
      // The host name check is switched off: the question is whether the chain itself verifies.
      const socket = tls.connect({ host: "127.0.0.1", port: (server.address() as AddressInfo).port, ca: [caPem], servername: "leaf.test", checkServerIdentity: () => undefined }, () => {
        socket.end();
        resolve("trusted");
      });
      // Node names this OpenSSL error (X509_V_ERR_PERMITTED_VIOLATION) only in the message
      socket.on("error", (e: NodeJS.ErrnoException) => resolve(e.message));
    });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("the emulator's CA", () => {
  test("has critical name constraints: localhost, 127.0.0.1 and ::1 only", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "emu-ca-"));
    const paths = await ensureCertificates(dir);
    const text = openssl(["x509", "-in", paths.caCertPath, "-noout", "-ext", "nameConstraints"], dir);
    expect(text).toMatch(/X509v3 Name Constraints: critical/);
    expect(text).toContain("DNS:localhost");
    expect(text).toContain("IP:127.0.0.1/255.255.255.255");
    expect(text).toMatch(/IP:0:0:0:0:0:0:0:1\/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF/);
    expect(text).not.toMatch(/Excluded/);

    const caPem = readFileSync(paths.caCertPath, "utf8");
    // the emulator's own certificate verifies; one for another name, signed by the same key, does not
    expect(await tlsVerdict({ cert: readFileSync(paths.serverCertPath, "utf8"), key: readFileSync(paths.serverKeyPath, "utf8") }, caPem)).toBe("trusted");
    expect(await tlsVerdict(issueLeaf(dir, "DNS:evil.example"), caPem)).toBe("permitted subtree violation");
    expect(await tlsVerdict(issueLeaf(dir, "DNS:login.microsoftonline.com"), caPem)).toBe("permitted subtree violation");
    expect(await tlsVerdict(issueLeaf(dir, "IP:10.0.0.1"), caPem)).toBe("permitted subtree violation");
    expect(await tlsVerdict(issueLeaf(dir, "DNS:app.localhost"), caPem)).toBe("trusted"); // a subdomain of localhost is still this machine
  });

  test("lives about 30 days, and the server certificate no longer than the CA", async () => {
    const paths = await ensureCertificates(mkdtempSync(path.join(tmpdir(), "emu-ca-")));
    const ca = new X509Certificate(readFileSync(paths.caCertPath));
    const server = new X509Certificate(readFileSync(paths.serverCertPath));
    const lifetimeDays = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / DAY_MS;
    expect(lifetimeDays).toBeGreaterThanOrEqual(29);
    expect(lifetimeDays).toBeLessThanOrEqual(31);
    expect(Date.parse(server.validTo)).toBeLessThanOrEqual(Date.parse(ca.validTo));
  });

  test.each([
    ["an unconstrained CA from an earlier version (10 years)", ["-days", "3650"], true],
    [
      "a constrained CA about to expire",
      ["-days", "2", "-addext", "nameConstraints=critical,permitted;DNS:localhost,permitted;IP:127.0.0.1/255.255.255.255,permitted;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
      false,
    ],
  ] as const)("replaces %s, and the server certificate with it, and says how to remove the old one", async (_name, extra, unconstrained) => {
    const dir = mkdtempSync(path.join(tmpdir(), "emu-ca-"));
    const paths = await ensureCertificates(dir);
    // put an older CA in place (what a developer's .emulator/ may hold), with a server certificate from it
    openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=Identity Emulator Local CA", "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign", ...extra, "-keyout", "ca-key.pem", "-out", "ca.pem"], dir);
    const old = issueLeaf(dir, "DNS:localhost,IP:127.0.0.1,IP:::1");
    writeFileSync(paths.serverCertPath, old.cert);
    writeFileSync(paths.serverKeyPath, old.key);
    const oldCa = new X509Certificate(readFileSync(paths.caCertPath));

    const notices: string[] = [];
    await ensureCertificates(dir, { onCaReplaced: (n) => notices.push(n) });
    const ca = new X509Certificate(readFileSync(paths.caCertPath));
    expect(ca.fingerprint256).not.toBe(oldCa.fingerprint256);
    // Whoever trusted the old CA is told which one it was and how to remove it (issue #22 §4 finding 3).
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    const sha1 = oldCa.fingerprint.replace(/:/g, "");
    expect(notice).toContain(`SHA-256: ${oldCa.fingerprint256}`);
    expect(notice).not.toContain(ca.fingerprint256);
    expect(notice).toContain(`certutil -d sql:${path.join(dir, "browser-home", ".pki", "nssdb")} -D -n identity-emulator`);
    expect(notice).toContain(`security delete-certificate -Z ${sha1}`);
    expect(notice).toContain(`certutil -delstore -user Root ${sha1}`);
    expect(notice).toMatch(/Firefox.*Authorities/);
    if (unconstrained) expect(notice).toContain("it can vouch for ANY site");
    else expect(notice).not.toContain("ANY site");
    // A start that replaces nothing says nothing.
    await ensureCertificates(dir, { onCaReplaced: (n) => notices.push(n) });
    expect(notices).toHaveLength(1);
    expect(openssl(["x509", "-in", paths.caCertPath, "-noout", "-ext", "nameConstraints"], dir)).toMatch(/critical/);
    expect(Date.parse(ca.validTo) - Date.now()).toBeGreaterThan(25 * DAY_MS);
    expect(new X509Certificate(readFileSync(paths.serverCertPath)).checkIssued(ca)).toBe(true);
  });
});
