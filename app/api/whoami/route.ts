import { protectedRoute } from "@/lib/http/route";

/**
 * GET /api/whoami: who this API sees, from the verified access token alone (no token request, no
 * downstream call). The cheapest protected request: the bench's CPU floor (proxy.ts + verification
 * + a handler), and a quick way to check what a client's token says. Never echoes the token.
 */
export const GET = protectedRoute(async ({ caller }) => ({
  body: {
    name: caller.name ?? null,
    username: caller.username ?? null,
    oid: caller.oid,
    tid: caller.tid,
    clientId: caller.clientId ?? null,
    scopes: caller.scopes,
    clientCapabilities: caller.clientCapabilities,
    roles: caller.roles,
    groupClaims: caller.groupClaims,
    groupCount: caller.groups.length,
    authContexts: caller.authContexts,
    expiresAt: caller.expiresAt,
  },
}));
