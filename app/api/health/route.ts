import { getVerifier } from "@/lib/auth";
import { getConfig } from "@/lib/config";
import { describeError, log } from "@/lib/http/log";
import { json, publicRoute } from "@/lib/http/route";
import { getTokenService } from "@/lib/tokens";

interface Check {
  ok: boolean;
  detail?: string;
  [key: string]: unknown;
}

/**
 * GET /api/health: readiness for App Service health checks and load balancers, no authentication
 * (excluded from proxy.ts). `{ "status": "ok" | "degraded" | "unavailable" }`: 200 while the
 * configuration is valid and the signing keys are loaded (degraded: Redis is down and tokens are
 * served from memory), 503 otherwise. Anyone can call it, so it says nothing more (identity mode,
 * cache kind, key count, the token cache's counters) unless HEALTH_DETAILS=true; the log says why.
 */
export const GET = publicRoute(async () => {
  let config;
  try {
    config = getConfig();
  } catch (e) {
    log("error", "health.config_invalid", { error: describeError(e) });
    return json({ status: "unavailable" }, 503);
  }
  const checks: Record<string, Check> = { config: { ok: true, mode: config.mode } };
  try {
    const keySet = await getVerifier(config).checkKeySet();
    checks.keySet = { ok: keySet.keys > 0, keys: keySet.keys };
  } catch (e) {
    log("warn", "health.key_set_unreachable", { error: describeError(e) });
    checks.keySet = { ok: false, detail: "signing key set unreachable" };
  }
  const tokens = getTokenService(config);
  // The token cache's own metrics (counts only, nothing about anyone): identity-provider requests
  // this instance made, and the entries its memory dropped (expired or over the cap).
  checks.tokenCache = { ok: true, kind: tokens.cacheKind, degraded: tokens.cacheDegraded, tokenRequests: tokens.tokenRequests, evictions: tokens.cacheEvictions() };
  const status = !Object.values(checks).every((c) => c.ok) ? "unavailable" : tokens.cacheDegraded ? "degraded" : "ok";
  return json(config.health.details ? { status, checks } : { status }, status === "unavailable" ? 503 : 200);
});
