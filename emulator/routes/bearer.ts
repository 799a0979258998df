// Access-token checks for the emulated resource servers (Graph, ARM): signed by
// one of our published keys, issued by one of our tenants, for this audience,
// inside its lifetime. Returns a reason instead of throwing so each service
// can word its own error.
import type { IncomingMessage } from "node:http";
import { knownIssuers, knownV1Issuers, type EmulatorContext } from "../context";
import { nowSeconds } from "../grants";
import { header } from "../http";
import { decodeJwt, numberClaim, stringClaim, type JwtPayload } from "../jwt";

export type BearerFailure = "missing" | "malformed" | "signature" | "issuer" | "audience" | "expired";

export interface Caller {
  payload: JwtPayload;
  tenantId: string;
  oid: string;
  scopes: string[];
  roles: string[];
  appOnly: boolean;
  audience: string;
}

export type BearerResult = { ok: true; caller: Caller } | { ok: false; reason: BearerFailure; audience?: string; exp?: number };

// Same clock as the issuer: no skew on expiry (negative tests stay simple), a little on nbf.
const NBF_SKEW_S = 60;

/**
 * `version`: the token format the resource takes. Graph and ARM take v1.0 tokens only: issuer
 * `https://sts.windows.net/<tid>/` and `ver` "1.0"; anything else is an issuer they do not trust.
 */
export function checkBearer(ctx: EmulatorContext, req: IncomingMessage, audiences: string[], version: "1.0" | "2.0" = "2.0"): BearerResult {
  const auth = header(req, "authorization");
  if (!auth) return { ok: false, reason: "missing" };
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m || !m[1]) return { ok: false, reason: "malformed" };
  const raw = m[1];
  if (!decodeJwt(raw)) return { ok: false, reason: "malformed" };
  const verified = ctx.keys.verify(raw);
  if (!verified) return { ok: false, reason: "signature" };
  const p = verified.payload;
  const iss = stringClaim(p, "iss") ?? "";
  const tenantId = (version === "1.0" ? knownV1Issuers(ctx) : knownIssuers(ctx)).get(iss);
  if (!tenantId || stringClaim(p, "tid") !== tenantId || stringClaim(p, "ver") !== version) return { ok: false, reason: "issuer" };
  const aud = stringClaim(p, "aud") ?? "";
  if (!audiences.some((a) => a.toLowerCase() === aud.toLowerCase())) return { ok: false, reason: "audience", audience: aud };
  const exp = numberClaim(p, "exp") ?? 0;
  const nbf = numberClaim(p, "nbf") ?? 0;
  const now = nowSeconds();
  if (exp <= now || nbf - NBF_SKEW_S > now) return { ok: false, reason: "expired", exp };
  const scp = stringClaim(p, "scp");
  const roles = Array.isArray(p["roles"]) ? p["roles"].filter((r): r is string => typeof r === "string") : [];
  return {
    ok: true,
    caller: {
      payload: p,
      tenantId,
      oid: stringClaim(p, "oid") ?? "",
      scopes: scp ? scp.split(" ").filter(Boolean) : [],
      roles,
      appOnly: scp === undefined,
      audience: aud,
    },
  };
}

export function hasAny(granted: string[], wanted: string[]): boolean {
  const set = new Set(granted.map((s) => s.toLowerCase()));
  return wanted.some((w) => set.has(w.toLowerCase()));
}
