// Token-signing keys and the published JWKS. Like Entra, `kid` equals `x5t`
// (base64url SHA-1 of the certificate) and the certificate is published in
// x5c. Rotation keeps earlier keys published so tokens already handed out
// still verify until a test drops them explicitly.
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from "node:crypto";
import { promises as fs } from "node:fs";
import { generateSelfSignedRsa } from "./certs";
import { decodeJwt, signJwt, verifySignature, type DecodedJwt, type JwtPayload } from "./jwt";

export interface SigningKey {
  kid: string;
  x5t: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certBase64: string;
  n: string;
  e: string;
}

export interface PublishedJwk {
  kty: "RSA";
  use: "sig";
  kid: string;
  x5t: string;
  n: string;
  e: string;
  x5c: string[];
  issuer?: string;
}

/** How many earlier keys stay published after rotations. */
const MAX_PREVIOUS = 2;

export function signingKeyFromPem(certPem: string, keyPem: string): SigningKey {
  const cert = new X509Certificate(certPem);
  const der = cert.raw;
  const x5t = createHash("sha1").update(der).digest("base64url");
  const publicKey = cert.publicKey;
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.n !== "string" || typeof jwk.e !== "string") throw new Error("signing key must be RSA");
  return {
    kid: x5t,
    x5t,
    privateKey: createPrivateKey(keyPem),
    publicKey,
    certBase64: der.toString("base64"),
    n: jwk.n,
    e: jwk.e,
  };
}

export class KeyManager {
  private current: SigningKey;
  private previous: SigningKey[] = [];

  private constructor(private readonly seed: SigningKey) {
    this.current = seed;
  }

  static async load(certPath: string, keyPath: string): Promise<KeyManager> {
    const [certPem, keyPem] = await Promise.all([fs.readFile(certPath, "utf8"), fs.readFile(keyPath, "utf8")]);
    return new KeyManager(signingKeyFromPem(certPem, keyPem));
  }

  get currentKid(): string {
    return this.current.kid;
  }

  get publishedKids(): string[] {
    return [this.current.kid, ...this.previous.map((k) => k.kid)];
  }

  async rotate(dropPrevious: boolean): Promise<SigningKey> {
    const { certPem, keyPem } = await generateSelfSignedRsa("CN=Identity emulator token signing (rotated)", 365);
    const next = signingKeyFromPem(certPem, keyPem);
    this.previous = dropPrevious ? [] : [this.current, ...this.previous].slice(0, MAX_PREVIOUS);
    this.current = next;
    return next;
  }

  dropPrevious(): void {
    this.previous = [];
  }

  reset(): void {
    this.current = this.seed;
    this.previous = [];
  }

  jwks(issuerTemplate?: string): { keys: PublishedJwk[] } {
    return {
      keys: [this.current, ...this.previous].map((k) => ({
        kty: "RSA" as const,
        use: "sig" as const,
        kid: k.kid,
        x5t: k.x5t,
        n: k.n,
        e: k.e,
        x5c: [k.certBase64],
        ...(issuerTemplate ? { issuer: issuerTemplate } : {}),
      })),
    };
  }

  sign(payload: JwtPayload): string {
    return signJwt({ typ: "JWT", alg: "RS256", kid: this.current.kid, x5t: this.current.x5t }, payload, this.current.privateKey);
  }

  /** Verifies a token we issued; null when the signature does not match a published key. */
  verify(token: string): DecodedJwt | null {
    const decoded = decodeJwt(token);
    if (!decoded || decoded.header.alg !== "RS256") return null;
    const key = [this.current, ...this.previous].find((k) => k.kid === decoded.header.kid);
    if (!key) return null;
    return verifySignature(decoded, key.publicKey) ? decoded : null;
  }
}
