/**
 * Continuous access evaluation through the whole API: proxy.ts, the route handlers, real
 * msal-node OBO, and the emulator's Graph and ARM revoking a user's session the way the real
 * services do (ARM: invalid_token + claims; Graph: insufficient_claims).
 */
import { NextRequest } from "next/server";
import { decodeBase64Text, parseWwwAuthenticate, type ProblemDetails } from "@/lib/errors";
import { startApiHarness, type ApiHarness } from "@/test-support/api-harness";
import { proxy } from "@/proxy";
import { GET as me } from "./me/route";
import { GET as subscriptions } from "./subscriptions/route";

const HANDLERS: Record<string, (r: Request) => Promise<Response>> = { "/api/me": me, "/api/subscriptions": subscriptions };

let h: ApiHarness;
let seq = 0;
const freshUser = () => `loaduser${8000 + ++seq}@contoso.test`;

beforeAll(async () => {
  h = await startApiHarness();
  await h.control.createUsers(8001, 100); // freshUser()'s load users
  h.configure({ overrides: { AZURE_API_CLIENT_CAPABILITIES: "cp1" } });
});
afterAll(async () => {
  await h?.close();
});
afterEach(async () => {
  await h.control.clearFaults();
});

async function call(path: string, token: string): Promise<Response> {
  const url = `http://localhost${path}`;
  const headers = { authorization: `Bearer ${token}` };
  const verdict = await proxy(new NextRequest(url, { headers }));
  if (verdict.headers.get("x-middleware-next") !== "1") return verdict;
  return HANDLERS[path]!(new Request(url, { headers }));
}

/** A SPA token for our API; `capabilities` as the SPA declared them (xms_cc). */
const spaToken = (username: string, capabilities?: string[]) => h.userToken(username, capabilities ? { claims: { xms_cc: capabilities } } : undefined);
const armCalls = async () => (await h.control.counters()).arm;

describe.each([
  { target: "arm" as const, path: "/api/subscriptions", service: "ARM" },
  { target: "graph" as const, path: "/api/me", service: "Graph" },
])("session revoked at $service", ({ target, path }) => {
  it("one OBO retry carrying the challenge's claims, then the data; later calls reuse that token", async () => {
    const user = freshUser();
    const token = await spaToken(user, ["CP1"]);
    expect((await call(path, token)).status).toBe(200); // warms the OBO caches with a soon-revoked token
    await h.control.fault({ target, mode: "session_revoked", username: user, signOut: false });

    const res = await call(path, token);
    expect(res.status).toBe(200);
    expect(res.headers.get("server-timing")).toMatch(/obo;desc="miss claims"/);

    // The answer to the challenge replaced the revoked token in the hot cache: no second challenge.
    const before = await armCalls();
    const again = await call(path, token);
    expect(again.status).toBe(200);
    expect(again.headers.get("server-timing")).not.toMatch(/claims/);
    if (target === "arm") expect((await armCalls()) - before).toBe(3); // three pages, no retried page
  });

  it("when only the user can fix it (sign-in sessions revoked), a CP1 SPA gets the insufficient_claims challenge with the service's claims", async () => {
    const user = freshUser();
    const token = await spaToken(user, ["CP1"]); // upper case, as msal-browser's docs spell it
    expect((await call(path, token)).status).toBe(200);
    const revocation = (await h.control.fault({ target, mode: "session_revoked", username: user })).fault;

    const res = await call(path, token);
    expect(res.status).toBe(401);
    const params = parseWwwAuthenticate(res.headers.get("www-authenticate") ?? "")[0]?.params ?? {};
    expect(params).toMatchObject({ realm: "", error: "insufficient_claims", authorization_uri: `${h.emulator.tenant.authorityHost}/${h.emulator.tenant.tenantId}/oauth2/v2.0/authorize` });
    expect(JSON.parse(decodeBase64Text(params.claims ?? ""))).toEqual({ access_token: { nbf: { essential: true, value: String(revocation.revokedAt) } } });
    expect(((await res.json()) as ProblemDetails).code).toBe("insufficient_claims");

    // After the step-up (a new sign-in, so a new token for our API), the data comes back.
    const steppedUp = await spaToken(user, ["CP1"]);
    expect((await call(path, steppedUp)).status).toBe(200);
  });

  it("a client that did not declare cp1 is told to sign in again (never a challenge it cannot answer)", async () => {
    const user = freshUser();
    const token = await spaToken(user);
    expect((await call(path, token)).status).toBe(200);
    await h.control.fault({ target, mode: "session_revoked", username: user });
    const res = await call(path, token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as ProblemDetails).code).toBe("invalid_token");
  });
});
