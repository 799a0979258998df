import "server-only";
import { decodeJwt } from "jose";

/**
 * The non-secret claims of an access token, decoded on the server for the /web page's "what is
 * in my token" section. Decoding is not validation (the token is Graph's to validate, and Graph
 * tokens are not meant to be validated by clients); the token itself never leaves the server.
 */
export interface DisplayClaims {
  issuer?: string;
  audience?: string;
  scopes?: string[];
  roles?: string[];
  tenantId?: string;
  objectId?: string;
  version?: string;
  clientAppId?: string;
  issuedAt?: Date;
  expiresAt?: Date;
}

const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const time = (v: unknown): Date | undefined => (typeof v === "number" && Number.isFinite(v) ? new Date(v * 1000) : undefined);

/** undefined when the token is not a decodable JWT (some tokens are opaque to clients). */
export function displayClaims(accessToken: string): DisplayClaims | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(accessToken);
  } catch {
    return undefined;
  }
  const aud = Array.isArray(payload.aud) ? payload.aud.filter((a): a is string => typeof a === "string").join(", ") : text(payload.aud);
  const scp = text(payload.scp);
  const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === "string") : undefined;
  return {
    issuer: text(payload.iss),
    audience: aud,
    scopes: scp ? scp.split(" ").filter(Boolean) : undefined,
    roles: roles?.length ? roles : undefined,
    tenantId: text(payload.tid),
    objectId: text(payload.oid),
    version: text(payload.ver),
    clientAppId: text(payload.azp) ?? text(payload.appid),
    issuedAt: time(payload.iat),
    expiresAt: time(payload.exp),
  };
}
