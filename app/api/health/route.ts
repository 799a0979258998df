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
 * GET /api/health: readiness for App Service health checks, no authentication (excluded from
 * proxy.ts). 200 when the configuration is valid and the signing key set is reachable (or
 * cached), 503 otherwise. Says what failed, never why in detail (the log has that).
 */
export const GET = publicRoute(async () => {
  const checks: Record<string, Check> = {};
  let config;
  try {
    config = getConfig();
    checks.config = { ok: true, mode: config.mode };
  } catch (e) {
    log("error", "health.config_invalid", { error: describeError(e) });
      checks.config = { ok: false, detail: "configuration is invalid; see the server log" };
    }
    if (config) {
      try {
        const keySet = await getVerifier(config).checkKeySet();
        checks.keySet = { ok: keySet.keys > 0, keys: keySet.keys };
      } catch (e) {
        log("warn", "health.key_set_unreachable", { error: describeError(e) });
        checks.keySet = { ok: false, detail: "signing key set unreachable" };
      }
      const tokens = getTokenService(config);
      checks.tokenCache = { ok: true, kind: tokens.cacheKind, degraded: tokens.cacheDegraded };
    }
    const ok = Object.values(checks).every((c) => c.ok);
    return json({ status: ok ? "ok" : "unavailable", checks }, ok ? 200 : 503);
});
