// Minimal JWS compact serialisation on node:crypto. The emulator signs
// thousands of tokens in load tests and must verify client assertions in both
// RS256 (x5t) and PS256 (x5t#S256, msal-node's SHA-256 mode); node:crypto does
// both synchronously without pulling an ESM-only dependency into Jest.
import { constants, createHash, sign, verify, type KeyObject } from "node:crypto";

export type JwtHeader = { alg?: string; typ?: string; kid?: string; x5t?: string; "x5t#S256"?: string; x5c?: string[] } & Record<string, unknown>;
export type JwtPayload = Record<string, unknown>;

export interface DecodedJwt {
  header: JwtHeader;
  payload: JwtPayload;
  signingInput: string;
  signature: Buffer;
}

export function base64url(input: Buffer | string): string {
  return Buffer.from(input).toString("base64url");
}

export function signJwt(header: JwtHeader, payload: JwtPayload, key: KeyObject): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign("sha256", Buffer.from(signingInput), key);
  return `${signingInput}.${signature.toString("base64url")}`;
}

/** Parses without verifying; null when the input is not a JWS compact token. */
export function decodeJwt(token: string): DecodedJwt | null {
  if (typeof token !== "string" || token.length > 16_384) return null;
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header: unknown = JSON.parse(Buffer.from(h, "base64url").toString("utf8"));
    const payload: unknown = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
    if (!isRecord(header) || !isRecord(payload)) return null;
    return { header: header as JwtHeader, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, "base64url") };
  } catch {
    return null;
  }
}

/** RS256 or PS256 signature check; other algorithms (incl. "none") are refused. */
export function verifySignature(decoded: DecodedJwt, publicKey: KeyObject): boolean {
  const data = Buffer.from(decoded.signingInput);
  try {
    if (decoded.header.alg === "RS256") return verify("sha256", data, publicKey, decoded.signature);
    if (decoded.header.alg === "PS256") {
      return verify(
        "sha256",
        data,
        { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        decoded.signature,
      );
    }
  } catch {
    return false;
  }
  return false;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function stringClaim(payload: JwtPayload, name: string): string | undefined {
  const v = payload[name];
  return typeof v === "string" ? v : undefined;
}

export function numberClaim(payload: JwtPayload, name: string): number | undefined {
  const v = payload[name];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function sha256Base64url(input: string): string {
  return createHash("sha256").update(input).digest("base64url");
}
