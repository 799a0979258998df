/**
 * The API in a national cloud: the emulator plays Azure US Government (Graph, ARM and the
 * managed identity token exchange use that cloud's audiences), the app signs in with its
 * managed identity credential, and profile and subscriptions work end to end with the real
 * msal-node. Public-cloud audiences are refused there, as they would be.
 */
import { decodeJwt } from "jose";
import { NextRequest } from "next/server";
import { getConfig } from "@/lib/config";
import type { ProblemDetails } from "@/lib/errors";
import { startApiHarness, type ApiHarness } from "@/test-support/api-harness";
import { emulatorConfig } from "@/test-support/emulator-config";
import { proxy } from "@/proxy";
import { GET as me } from "./me/route";
import { GET as subscriptions } from "./subscriptions/route";

/**
 * What a US Government deployment configures: its hosts, and neither scopes nor a token-exchange
 * audience (lib/config derives them from the hosts). Undefined removes the harness's own values.
 */
const US_GOV_DEPLOYMENT = {
  AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us",
  GRAPH_BASE_URL: "https://graph.microsoft.us/v1.0",
  ARM_BASE_URL: "https://management.usgovcloudapi.net",
  GRAPH_SCOPES: undefined,
  ARM_SCOPES: undefined,
  AZURE_TOKEN_EXCHANGE_AUDIENCE: undefined,
};

const HANDLERS: Record<string, (r: Request) => Promise<Response>> = { "/api/me": me, "/api/subscriptions": subscriptions };

let h: ApiHarness;
let seq = 0;
const freshUser = () => `loaduser${7000 + ++seq}@contoso.test`;

beforeAll(async () => {
  h = await startApiHarness({ cloud: "usgov" });
  await h.control.createUsers(7001, 100); // freshUser()'s load users
});
afterAll(async () => {
  await h?.close();
});

/** proxy.ts, then the route handler, as Next.js serves /api/*. */
async function call(path: string, token: string): Promise<Response> {
  const url = `http://localhost${path}`;
  const headers = { authorization: `Bearer ${token}` };
  const verdict = await proxy(new NextRequest(url, { headers }));
  if (verdict.headers.get("x-middleware-next") !== "1") return verdict;
  return HANDLERS[path]!(new Request(url, { headers }));
}

describe("emulator in US Government mode", () => {
  it("describes the cloud it plays in tenant.json", () => {
    expect(h.emulator.tenant).toMatchObject({
      cloud: "usgov",
      graphResource: "https://graph.microsoft.us",
      armResource: "https://management.usgovcloudapi.net",
      managedIdentity: { resource: "api://AzureADTokenExchangeUSGov" },
    });
  });

  it("derives from a US Government deployment's hosts exactly the audiences the US Government emulator demands", () => {
    // lib/config (lib/config/clouds.ts) and the emulator (emulator/clouds.ts) each know the clouds on their own.
    const config = emulatorConfig(h.emulator.tenant, { credential: "managedIdentity", overrides: US_GOV_DEPLOYMENT });
    expect(config.downstream.graph.scopes).toEqual([`${h.emulator.tenant.graphResource}/User.Read`]);
    expect(config.downstream.arm.scopes).toEqual([`${h.emulator.tenant.armResource}/user_impersonation`]);
    expect(config.api.credential).toMatchObject({ kind: "managedIdentity", tokenExchangeAudience: h.emulator.tenant.managedIdentity.resource });
  });

  it("serves profile and subscriptions with the managed identity credential and the audiences derived for US Government", async () => {
    // The emulator answers on localhost, from which no cloud can be derived: the app here asks for
    // what it derived above from a US Government deployment's hosts, not for the harness's own values.
    const derived = emulatorConfig(h.emulator.tenant, { credential: "managedIdentity", overrides: US_GOV_DEPLOYMENT });
    const tokenExchangeAudience = derived.api.credential.kind === "managedIdentity" ? derived.api.credential.tokenExchangeAudience : "";
    h.configure({
      credential: "managedIdentity",
      overrides: { GRAPH_SCOPES: derived.downstream.graph.scopes.join(" "), ARM_SCOPES: derived.downstream.arm.scopes.join(" "), AZURE_TOKEN_EXCHANGE_AUDIENCE: tokenExchangeAudience },
    });
    const config = getConfig();
    expect(config.downstream.graph.scopes).toEqual(["https://graph.microsoft.us/User.Read"]);
    expect(config.downstream.arm.scopes).toEqual(["https://management.usgovcloudapi.net/user_impersonation"]);
    expect(config.api.credential).toMatchObject({ kind: "managedIdentity", tokenExchangeAudience: "api://AzureADTokenExchangeUSGov" });

    const msiBefore = (await h.control.counters()).msi as number;
    const token = await h.userToken(freshUser());
    const profile = await call("/api/me", token);
    expect(profile.status).toBe(200);
    expect(((await profile.json()) as { profile: { userPrincipalName: string } }).profile.userPrincipalName).toMatch(/^loaduser\d+@contoso\.test$/);

    const subs = await call("/api/subscriptions", token);
    expect(subs.status).toBe(200);
    expect(((await subs.json()) as { value: unknown[] }).value).toHaveLength(23);
    // The managed identity endpoint was asked for the assertion (no secret in this configuration).
    expect((await h.control.counters()).msi as number).toBeGreaterThan(msiBefore);
  });

  it("refuses the public cloud's token-exchange audience, as a US Government tenant does", async () => {
    h.configure({ credential: "managedIdentity", overrides: { AZURE_TOKEN_EXCHANGE_AUDIENCE: "api://AzureADTokenExchange" } });
    const res = await call("/api/me", await h.userToken(freshUser()));
    expect(res.status).toBe(500);
    expect(((await res.json()) as ProblemDetails).code).toBe("server_misconfigured");
  });

  it("refuses public-cloud Graph scopes: that resource does not exist in this cloud", async () => {
    h.configure({ overrides: { GRAPH_SCOPES: "https://graph.microsoft.com/User.Read" } });
    const res = await call("/api/me", await h.userToken(freshUser()));
    expect(res.status).toBe(500);
    expect(((await res.json()) as ProblemDetails).code).toBe("server_misconfigured");
  });

  it("issues Graph and ARM tokens with the cloud's audiences, which its Graph and ARM insist on", async () => {
    const graphToken = (await h.control.mint({ username: freshUser(), scopes: ["https://graph.microsoft.us/User.Read"] })).access_token;
    expect(decodeJwt(graphToken).aud).toBe("https://graph.microsoft.us");
    const publicAudience = (await h.control.mint({ username: freshUser(), scopes: ["https://graph.microsoft.us/User.Read"], claims: { aud: "https://graph.microsoft.com" } })).access_token;
    const refused = await fetch(`${h.emulator.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${publicAudience}` } });
    expect(refused.status).toBe(401);
    const arm = await fetch(`${h.emulator.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`, {
      headers: { authorization: `Bearer ${(await h.control.mint({ username: freshUser(), scopes: ["https://management.usgovcloudapi.net/user_impersonation"] })).access_token}` },
    });
    expect(arm.status).toBe(200);
  });
});
