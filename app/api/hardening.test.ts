/**
 * Issue #14 (security hardening), the API's share: each finding pinned against a private identity
 * emulator with the real proxy.ts, route handlers, msal-node and jose. No mocks.
 */
import { NextRequest } from "next/server";
import type { ProblemDetails } from "@/lib/errors";
import { setLogSink } from "@/lib/http/log";
import { startApiHarness, type ApiHarness } from "@/lib/testing/api-harness";
import { proxy } from "@/proxy";
import { GET as me } from "./me/route";

let h: ApiHarness;
let restoreLogs: () => void;

beforeAll(async () => {
  restoreLogs = setLogSink(() => undefined);
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
  restoreLogs?.();
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/** proxy.ts first, then the handler when proxy.ts lets the request through (as Next.js serves it). */
async function call(handler: (r: Request) => Promise<Response>, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const url = `http://localhost${path}`;
  const verdict = await proxy(new NextRequest(url, { headers }));
  if (verdict.headers.get("x-middleware-next") !== "1") return verdict;
  return handler(new Request(url, { headers }));
}

async function problem(res: Response): Promise<ProblemDetails> {
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  return (await res.json()) as ProblemDetails;
}

describe("item 8: GUIDs in configuration are case-insensitive", () => {
  afterAll(() => h.configure());

  it("an upper-case tenant GUID (and client ids) work end to end: verify, On-Behalf-Of, Graph", async () => {
    const t = h.emulator.tenant;
    h.configure({
      overrides: {
        AZURE_TENANT_ID: t.tenantId.toUpperCase(),
        AZURE_ALLOWED_TENANTS: t.tenantId.toUpperCase(),
        AZURE_SPA_CLIENT_ID: t.apps.spa.clientId.toUpperCase(),
        AZURE_API_CLIENT_ID: t.apps.api.clientId.toUpperCase(),
        AZURE_API_SCOPE: t.apps.api.scope.replace(t.apps.api.clientId, t.apps.api.clientId.toUpperCase()),
      },
    });
    const res = await call(me, "/api/me", bearer(await h.userToken("adele.vance@contoso.test")));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { profile: { displayName: string } }).profile.displayName).toBe("Adele Vance");
  });
});

describe("item 10: only the allowed client applications may use the API (azp)", () => {
  it("the SPA and the CLI pass; another registered app (the web app) is refused with 403 and a clear problem", async () => {
    const t = h.emulator.tenant;
    const asClient = async (clientId: string) =>
      (await h.control.mint({ username: "megan.bowen@contoso.test", clientId, scopes: [t.apps.api.scope] })).access_token;

    expect((await call(me, "/api/me", bearer(await asClient(t.apps.spa.clientId)))).status).toBe(200);
    expect((await call(me, "/api/me", bearer(await asClient(t.apps.cli.clientId)))).status).toBe(200);

    const relay = await call(me, "/api/me", bearer(await asClient(t.apps.web.clientId)));
    expect(relay.status).toBe(403);
    expect(relay.headers.get("www-authenticate")).toMatch(/^Bearer realm="", error="insufficient_scope", error_description="The application [0-9a-f-]{36} is not allowed to call this API\."$/);
    const body = await problem(relay);
    expect(body.code).toBe("client_not_allowed");
    expect(body.detail).toContain(t.apps.web.clientId);
    expect(body.detail).toContain("AZURE_ALLOWED_CLIENT_IDS");
  });

  it("AZURE_ALLOWED_CLIENT_IDS lets an administrator name the clients (the SPA stays allowed)", async () => {
    const t = h.emulator.tenant;
    h.configure({ overrides: { AZURE_ALLOWED_CLIENT_IDS: t.apps.web.clientId } });
    try {
      const web = (await h.control.mint({ username: "megan.bowen@contoso.test", clientId: t.apps.web.clientId, scopes: [t.apps.api.scope] })).access_token;
      const cli = (await h.control.mint({ username: "megan.bowen@contoso.test", clientId: t.apps.cli.clientId, scopes: [t.apps.api.scope] })).access_token;
      expect((await call(me, "/api/me", bearer(web))).status).toBe(200);
      expect((await call(me, "/api/me", bearer(await h.userToken("megan.bowen@contoso.test")))).status).toBe(200);
      expect((await call(me, "/api/me", bearer(cli))).status).toBe(403);
    } finally {
      h.configure();
    }
  });
});
