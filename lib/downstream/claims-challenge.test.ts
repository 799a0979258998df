/**
 * Continuous access evaluation: the challenge formats Graph and Azure Resource Manager really
 * send when a user's session is revoked, against downstreamGet with a fake token provider.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { hasClientCapability } from "@/lib/auth/capabilities";
import type { DownstreamApi } from "@/lib/config";
import { ApiError, bearerChallengeHeader, encodeBase64Text, invalidToken, parseWwwAuthenticate } from "@/lib/errors";
import { ServerTiming } from "@/lib/http/server-timing";
import { claimsChallengeFrom } from "./challenge";
import { downstreamGet, type DownstreamContext } from "./client";

const CLAIMS = '{"access_token":{"nbf":{"essential":true, "value":"1726258122"}}}';
// ARM (as the Azure SDKs document it): error="invalid_token", no realm, standard base64 with padding.
const ARM_CHALLENGE = `Bearer authorization_uri="https://login.microsoftonline.com/", error="invalid_token", error_description="User session has been revoked", claims="${Buffer.from(CLAIMS).toString("base64")}"`;
// Graph (Microsoft Learn, "How to use CAE enabled APIs"): error="insufficient_claims".
const GRAPH_CHALLENGE = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="${encodeBase64Text(CLAIMS)}"`;
const OUR_AUTHORIZE = "https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/oauth2/v2.0/authorize";

let server: Server;
let base: string;
let respond: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((req, res) => respond(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const api = (): DownstreamApi => ({ name: "arm", baseUrl: base, scopes: ["https://management.azure.com/user_impersonation"] });

/** A downstream that rejects every token but one carrying claims, with the given challenge. */
function revokedUntilClaims(challenge: string) {
  respond = (req, res) => {
    if (req.headers.authorization === "Bearer token-with-claims") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}');
      return;
    }
    res.writeHead(401, { "content-type": "application/json", "www-authenticate": challenge }).end('{"error":{"code":"InvalidAuthenticationToken"}}');
  };
}

function ctx(overrides: Partial<DownstreamContext> = {}) {
  const tokenCalls: (string | undefined)[] = [];
  const c: DownstreamContext = {
    correlationId: "3f2b8f4e-1111-4222-8333-944455556666",
    timing: new ServerTiming(),
    http: { timeoutMs: 1_000, maxRetries: 0, maxRetryAfterSeconds: 5 },
    authorizationUri: OUR_AUTHORIZE,
    insecureHttpForTests: true, // the test server speaks plain http
    token: async (claims?: string) => {
      tokenCalls.push(claims);
      return claims ? "token-with-claims" : "token";
    },
    ...overrides,
  };
  return Object.assign(c, { tokenCalls });
}

async function rejection(p: Promise<unknown>): Promise<ApiError> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(e)}`);
  return e;
}

describe("claims challenges from downstream APIs", () => {
  it.each([
    ["Azure Resource Manager (invalid_token + claims)", ARM_CHALLENGE],
    ["Microsoft Graph (insufficient_claims)", GRAPH_CHALLENGE],
  ])("%s: one retry with a token carrying the decoded claims", async (_name, challenge) => {
    revokedUntilClaims(challenge);
    const c = ctx();
    const r = await downstreamGet(api(), "/subscriptions?api-version=2022-12-01", c);
    expect(r.status).toBe(200);
    expect(c.tokenCalls).toEqual([undefined, CLAIMS]);
    expect(c.timing.toString()).toMatch(/x2/);
  });

  it("does not retry a 401 without claims (an expired or foreign token is not a challenge)", async () => {
    revokedUntilClaims(`Bearer authorization_uri="https://login.microsoftonline.com/", error="invalid_token", error_description="The access token is invalid."`);
    const c = ctx();
    const err = await rejection(downstreamGet(api(), "/subscriptions", c));
    expect(err.code).toBe("downstream_error");
    expect(c.tokenCalls).toEqual([undefined]);
  });

  it("when the claims need the user (session revoked), a cp1 caller gets the documented insufficient_claims challenge", async () => {
    revokedUntilClaims(ARM_CHALLENGE);
    const needsUser = async (claims?: string) => {
      if (claims) throw invalidToken("The identity provider would not exchange this token for the downstream API; sign in again.");
      return "token";
    };
    const err = await rejection(downstreamGet(api(), "/subscriptions", ctx({ token: needsUser, forwardClaimsChallenges: true })));
    expect(err.status).toBe(401);
    expect(err.code).toBe("insufficient_claims");
    expect(err.claims).toBe(CLAIMS);
    // The caller is sent to our authority with ARM's claims, in Entra's documented challenge.
    const header = bearerChallengeHeader(err.challenge!);
    expect(parseWwwAuthenticate(header)[0]?.params).toMatchObject({ error: "insufficient_claims", authorization_uri: OUR_AUTHORIZE });

    // A caller that cannot handle claims challenges is told to sign in again instead.
    const legacy = await rejection(downstreamGet(api(), "/subscriptions", ctx({ token: needsUser, forwardClaimsChallenges: false })));
    expect(legacy.code).toBe("invalid_token");
  });

  it("reads claims from ARM's unquoted-realm challenge and ignores undecodable ones", () => {
    expect(claimsChallengeFrom(ARM_CHALLENGE)).toMatchObject({ claims: CLAIMS, error: "invalid_token" });
    expect(claimsChallengeFrom(`Bearer error="invalid_token", claims="%%%"`)).toBeUndefined();
    expect(claimsChallengeFrom(null)).toBeUndefined();
  });

  it("compares client capabilities without case (CP1 and cp1 are the same capability)", () => {
    expect(hasClientCapability({ clientCapabilities: ["CP1"] }, "cp1")).toBe(true);
    expect(hasClientCapability({ clientCapabilities: ["cp1"] }, "CP1")).toBe(true);
    expect(hasClientCapability({ clientCapabilities: ["cp2"] }, "cp1")).toBe(false);
  });
});
