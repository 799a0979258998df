import { ConfigError } from "@/lib/config/errors";
import {
  ApiError,
  consentRequired,
  downstreamThrottled,
  encodeBase64Text,
  insufficientClaims,
  insufficientScope,
  internalError,
  invalidRequest,
  invalidToken,
  missingToken,
  parseWwwAuthenticate,
  toProblemResponse,
} from ".";

const CID = "0f8fad5b-d9cb-469f-a165-70867728950e";

async function body(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe("toProblemResponse", () => {
  it("401 invalid_token: problem+json and an RFC 6750 challenge", async () => {
    const res = toProblemResponse(invalidToken('The token has "expired".'), CID);
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-correlation-id")).toBe(CID);
    const [challenge] = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "");
    expect(challenge?.scheme).toBe("Bearer");
    expect(challenge?.params.realm).toBe("");
    expect(challenge?.params.error).toBe("invalid_token");
    // RFC 6750 forbids `"` and `\` in error_description; they are replaced, not escaped
    expect(challenge?.params.error_description).toBe("The token has  expired .");
    const b = await body(res);
    expect(b).toMatchObject({ status: 401, code: "invalid_token", correlationId: CID, type: "urn:ms-identity-nextjs:problem:invalid_token" });
    expect(typeof b.title).toBe("string");
    expect(typeof b.detail).toBe("string");
  });

  it("missing token: challenge without an error code (RFC 6750 §3.1)", () => {
    const res = toProblemResponse(missingToken(), CID);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm=""');
  });

  it("malformed header: 400 invalid_request", () => {
    const res = toProblemResponse(invalidRequest("The Authorization header must carry exactly one bearer token."), CID);
    expect(res.status).toBe(400);
    expect(parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "")[0]?.params.error).toBe("invalid_request");
  });

  it("insufficient_scope names the required scope", () => {
    const res = toProblemResponse(insufficientScope("The token lacks the access_as_user scope.", "api://x/access_as_user"), CID);
    expect(res.status).toBe(403);
    expect(parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "")[0]?.params).toMatchObject({ error: "insufficient_scope", scope: "api://x/access_as_user" });
  });

  it("insufficient_claims: Entra's documented challenge shape with base64 claims", async () => {
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    const res = toProblemResponse(insufficientClaims(claims, encodeBase64Text(claims), "https://login.example/t/oauth2/v2.0/authorize"), CID);
    expect(res.status).toBe(401);
    const header = res.headers.get("www-authenticate") ?? "";
    expect(header.startsWith('Bearer realm="", authorization_uri="https://login.example/t/oauth2/v2.0/authorize", error="insufficient_claims"')).toBe(true);
    const params = parseWwwAuthenticate(header)[0]?.params;
    expect(Buffer.from(params?.claims ?? "", "base64").toString()).toBe(claims);
    expect((await body(res)).claims).toBe(claims);
  });

  it("consent_required: 403 with the scopes", async () => {
    const res = toProblemResponse(consentRequired(["https://graph.microsoft.com/User.Read"]), CID);
    expect(res.status).toBe(403);
    expect(await body(res)).toMatchObject({ code: "consent_required", scopes: ["https://graph.microsoft.com/User.Read"] });
  });

  it("503 carries Retry-After", async () => {
    const res = toProblemResponse(downstreamThrottled("graph", 7), CID);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("7");
    expect((await body(res)).retryAfter).toBe(7);
  });

  it("unknown errors become a bare 500: no message, no stack, no token", async () => {
    const secret = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const res = toProblemResponse(new Error(`boom with ${secret}`), CID);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain("boom");
    expect(text).not.toContain(secret);
    expect(text).not.toMatch(/at .*\.ts/);
    expect(JSON.parse(text).code).toBe("internal_error");
  });

  it("config errors become server_misconfigured without variable details", async () => {
    const res = toProblemResponse(new ConfigError([{ variable: "AZURE_API_CLIENT_SECRET", message: "is not set" }]), CID);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text).code).toBe("server_misconfigured");
    expect(text).not.toContain("AZURE_API_CLIENT_SECRET");
  });

  it("ApiError never serializes its cause", async () => {
    const err = internalError(new Error("db password=hunter2"));
    expect(err).toBeInstanceOf(ApiError);
    expect(await toProblemResponse(err, CID).text()).not.toContain("hunter2");
  });
});
