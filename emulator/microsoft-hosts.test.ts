// Issue #20 §1: the emulator's one HTTPS port answers for Microsoft's own host names too (Entra ID,
// Graph and ARM of the emulated cloud, with their real paths), but only when it is given a
// certificate for them, and never silently for a host it does not serve.
import { ConfidentialClientApplication } from "@azure/msal-node";
import { readFileSync } from "node:fs";
import type { RunningEmulator } from "./index";
import { microsoftHostNames } from "./index";
import { control, decodePayload, startTestEmulator, tokenRequest } from "./test-support/harness";
import { json, microsoftHostsMaterial, msalNetworkVia, requestVia, type MicrosoftHostsMaterial, type Via } from "./test-support/microsoft-hosts";

const PUBLIC = { login: "login.microsoftonline.com", graph: "graph.microsoft.com", arm: "management.azure.com" };
const USGOV = { login: "login.microsoftonline.us", graph: "graph.microsoft.us", arm: "management.usgovcloudapi.net" };
const ARM_API = "api-version=2022-12-01";

const portOf = (emu: RunningEmulator) => Number(new URL(emu.url).port);
const localCa = () => readFileSync(process.env.NODE_EXTRA_CA_CERTS ?? "", "utf8");

interface Counters {
  instanceDiscovery: number;
  discovery: number;
  requestsByHost: Record<string, number>;
  tokenRequests: Record<string, Record<string, number> | undefined>;
}

/** The resource owner password grant at `origin` (a public client: no secret), as the CLI sends it. */
async function ropc(via: Via, origin: string, emu: RunningEmulator, scope: string) {
  const megan = emu.tenant.users[0]!;
  // The CLI has Graph consented; ARM only the API (a confidential client: its secret goes along).
  const client: Record<string, string> = scope.includes("/user_impersonation")
    ? { client_id: emu.tenant.apps.api.clientId, client_secret: emu.tenant.apps.api.clientSecret }
    : { client_id: emu.tenant.apps.cli.clientId };
  const res = await requestVia(via, `${origin}/${emu.tenant.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ grant_type: "password", ...client, username: megan.username, password: megan.password, scope: `${scope} offline_access openid profile` }).toString(),
  });
  return { status: res.status, body: json<Record<string, string>>(res) };
}

describe("without a certificate for Microsoft's host names", () => {
  let emu: RunningEmulator;
  let via: Via;
  beforeAll(async () => {
    emu = await startTestEmulator();
    via = { port: portOf(emu), ca: localCa() };
  });
  afterAll(() => emu.close());

  test("answers localhost on its port, and refuses every other Host with 421 Misdirected Request", async () => {
    const ok = await requestVia(via, `${emu.url}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(ok.status).toBe(200);
    for (const host of [PUBLIC.login, PUBLIC.graph, PUBLIC.arm, "evil.example", `localhost:${via.port + 1}`]) {
      const res = await requestVia(via, `https://${host}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`, { servername: "localhost", checkServerIdentity: false });
      expect({ host, status: res.status }).toEqual({ host, status: 421 });
      expect(json(res)).toMatchObject({ error: "misdirected_request" });
    }
  });

  test("presents only its localhost certificate, whatever name the client asks for", async () => {
    const res = await requestVia(via, `https://${PUBLIC.login}/common/discovery/instance?api-version=1.1`, { checkServerIdentity: false });
    expect(res.peerNames).toContain("DNS:localhost");
    expect(res.peerNames).not.toContain(PUBLIC.login);
  });
});

describe("the public cloud's host names, with a certificate for them", () => {
  let emu: RunningEmulator;
  let material: MicrosoftHostsMaterial;
  let via: Via;
  let local: Via;
  beforeAll(async () => {
    material = await microsoftHostsMaterial(microsoftHostNames("public"));
    emu = await startTestEmulator({ microsoftHosts: material.leaf });
    via = { port: portOf(emu), ca: material.ca.certPem };
    local = { port: portOf(emu), ca: localCa() };
  });
  afterAll(() => emu.close());
  afterEach(() => control(emu, "POST", "/reset", { sessions: true }));

  test("the names to certify are exactly the cloud's Entra, Graph and ARM hosts", () => {
    expect(microsoftHostNames("public")).toEqual([PUBLIC.login, PUBLIC.graph, PUBLIC.arm]);
    // A national cloud adds the worldwide host, where MSAL asks for instance discovery whatever the cloud.
    expect(microsoftHostNames("usgov")).toEqual([USGOV.login, USGOV.graph, USGOV.arm, PUBLIC.login]);
  });

  test("presents the certificate for the name asked (SNI), which chains to the run's CA only", async () => {
    for (const host of [PUBLIC.login, PUBLIC.graph, PUBLIC.arm]) {
      const res = await requestVia(via, `https://${host}/`);
      expect(res.peerNames).toBe(`DNS:${PUBLIC.login}, DNS:${PUBLIC.graph}, DNS:${PUBLIC.arm}`);
    }
    // localhost keeps its own certificate and CA
    const res = await requestVia(local, `${emu.url}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.peerNames).toContain("DNS:localhost");
  });

  test("a Host that is not the name the TLS connection was made for is refused (421)", async () => {
    const res = await requestVia(via, `https://${PUBLIC.arm}/subscriptions?${ARM_API}`, { servername: PUBLIC.graph, checkServerIdentity: false });
    expect(res.status).toBe(421);
  });

  test("Entra ID at login.microsoftonline.com: its own issuer and endpoints, Graph at graph.microsoft.com", async () => {
    const tid = emu.tenant.tenantId;
    const res = await requestVia(via, `https://${PUBLIC.login}/${tid}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = json(res);
    expect(doc).toMatchObject({
      issuer: `https://${PUBLIC.login}/${tid}/v2.0`,
      token_endpoint: `https://${PUBLIC.login}/${tid}/oauth2/v2.0/token`,
      authorization_endpoint: `https://${PUBLIC.login}/${tid}/oauth2/v2.0/authorize`,
      jwks_uri: `https://${PUBLIC.login}/${tid}/discovery/v2.0/keys`,
      end_session_endpoint: `https://${PUBLIC.login}/${tid}/oauth2/v2.0/logout`,
      userinfo_endpoint: `https://${PUBLIC.graph}/oidc/userinfo`,
      msgraph_host: PUBLIC.graph,
      cloud_instance_name: "microsoftonline.com",
    });
    const keys = await requestVia(via, doc.jwks_uri as string);
    expect(json<{ keys: unknown[] }>(keys).keys.length).toBeGreaterThan(0);
  });

  test("tokens issued at the Microsoft host carry its issuer; Graph and ARM there accept them, with their real paths", async () => {
    const graphToken = await ropc(via, `https://${PUBLIC.login}`, emu, "https://graph.microsoft.com/User.Read");
    expect(graphToken.status).toBe(200);
    expect(decodePayload(graphToken.body.id_token!).iss).toBe(`https://${PUBLIC.login}/${emu.tenant.tenantId}/v2.0`);

    const me = await requestVia(via, `https://${PUBLIC.graph}/v1.0/me`, { headers: { authorization: `Bearer ${graphToken.body.access_token}` } });
    expect(me.status).toBe(200);
    expect(json(me)).toMatchObject({ "@odata.context": `https://${PUBLIC.graph}/v1.0/$metadata#users/$entity`, userPrincipalName: emu.tenant.users[0]!.username });

    const armToken = await ropc(via, `https://${PUBLIC.login}`, emu, "https://management.azure.com/user_impersonation");
    const subs = await requestVia(via, `https://${PUBLIC.arm}/subscriptions?${ARM_API}`, { headers: { authorization: `Bearer ${armToken.body.access_token}` } });
    expect(subs.status).toBe(200);
    expect(json<{ nextLink: string }>(subs).nextLink).toMatch(new RegExp(`^https://${PUBLIC.arm}/subscriptions\\?`));
  });

  test("Graph and ARM tokens are v1.0 with Entra's one v1 issuer whichever sign-in host issued them; our API's v2 tokens name their host", async () => {
    // Entra's v1.0 issuer is https://sts.windows.net/<tid>/ for every sign-in host alias, so Graph
    // and ARM take a token from either address; a v2.0 token's issuer is the host it came from.
    const form = (scope: string) => ({
      grant_type: "password",
      client_id: emu.tenant.apps.cli.clientId,
      username: emu.tenant.users[0]!.username,
      password: emu.tenant.users[0]!.password,
      scope,
    });
    const fromLocalhost = await tokenRequest(emu, form("https://graph.microsoft.com/User.Read openid profile"));
    expect(fromLocalhost.status).toBe(200);
    const localToken = fromLocalhost.body.access_token as string;
    expect(decodePayload(localToken)).toMatchObject({ iss: `https://sts.windows.net/${emu.tenant.tenantId}/`, ver: "1.0" });
    const microsoftToken = (await ropc(via, `https://${PUBLIC.login}`, emu, "https://graph.microsoft.com/User.Read")).body.access_token!;
    expect(decodePayload(microsoftToken)).toMatchObject({ iss: `https://sts.windows.net/${emu.tenant.tenantId}/`, ver: "1.0" });
    expect((await requestVia(via, `https://${PUBLIC.graph}/v1.0/me`, { headers: { authorization: `Bearer ${localToken}` } })).status).toBe(200);
    expect((await requestVia(local, `${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${microsoftToken}` } })).status).toBe(200);

    // v2.0 tokens (ID tokens here; our API's access tokens alike) name the host that issued them.
    expect(decodePayload(fromLocalhost.body.id_token as string).iss).toBe(`${emu.tenant.authorityHost}/${emu.tenant.tenantId}/v2.0`);
    const atMicrosoft = await ropc(via, `https://${PUBLIC.login}`, emu, "https://graph.microsoft.com/User.Read");
    expect(decodePayload(atMicrosoft.body.id_token!).iss).toBe(`https://${PUBLIC.login}/${emu.tenant.tenantId}/v2.0`);
  });

  test("codes, refresh tokens and sessions stay with the host they were issued at", async () => {
    const { refresh_token } = (await ropc(via, `https://${PUBLIC.login}`, emu, "https://graph.microsoft.com/User.Read")).body;
    const form = { grant_type: "refresh_token", client_id: emu.tenant.apps.cli.clientId, refresh_token: refresh_token!, scope: "https://graph.microsoft.com/User.Read" };
    const atLocalhost = await tokenRequest(emu, form);
    expect(atLocalhost.status).toBe(400);
    expect(atLocalhost.body.error).toBe("invalid_grant");
    const atHome = await requestVia(via, `https://${PUBLIC.login}/${emu.tenant.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    });
    expect(atHome.status).toBe(200);
  });

  test("the control API, the managed identity endpoint and the localhost paths are not on Microsoft's hosts", async () => {
    const secret = { authorization: `Bearer ${emu.tenant.control.secret}` };
    for (const url of [`https://${PUBLIC.login}/_control/counters`, `https://${PUBLIC.login}/msi/token?resource=x`, `https://${PUBLIC.login}/graph/v1.0/me`, `https://${PUBLIC.graph}/_control/counters`, `https://${PUBLIC.arm}/_control/counters`]) {
      const res = await requestVia(via, url, { headers: secret });
      expect({ url, status: res.status }).toEqual({ url, status: expect.not.stringMatching(/^2/) as unknown });
      expect(res.text).not.toContain("tokenRequests");
    }
  });

  test("counts requests per host served (the control API not included)", async () => {
    await control(emu, "DELETE", "/counters");
    await requestVia(via, `https://${PUBLIC.login}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    await requestVia(via, `https://${PUBLIC.graph}/v1.0/me`);
    await requestVia(via, `https://${PUBLIC.arm}/subscriptions?${ARM_API}`);
    await requestVia(local, `${emu.url}/${emu.tenant.tenantId}/discovery/v2.0/keys`);
    const c = await control<Counters>(emu, "GET", "/counters");
    expect(c.requestsByHost).toEqual({ [PUBLIC.login]: 1, [PUBLIC.graph]: 1, [PUBLIC.arm]: 1, localhost: 1 });
  });
});

describe("Entra's instance discovery (GET /common/discovery/instance)", () => {
  let emu: RunningEmulator;
  let via: Via;
  beforeAll(async () => {
    const material = await microsoftHostsMaterial(microsoftHostNames("usgov"));
    emu = await startTestEmulator({ cloud: "usgov", microsoftHosts: material.leaf });
    via = { port: portOf(emu), ca: material.ca.certPem };
  });
  afterAll(() => emu.close());
  beforeEach(() => control(emu, "DELETE", "/counters"));

  const discover = (query: string, host = PUBLIC.login) => requestVia(via, `https://${host}/common/discovery/instance?${query}`);
  const authorize = (host: string, tenant = "common") => encodeURIComponent(`https://${host}/${tenant}/oauth2/v2.0/authorize`);

  test("answers the worldwide host for any cloud's authority, with the metadata MSAL parses", async () => {
    const res = await discover(`api-version=1.1&authorization_endpoint=${authorize(USGOV.login, emu.tenant.tenantId)}`);
    expect(res.status).toBe(200);
    expect(res.headers["access-control-allow-origin"]).toBe("*"); // msal-browser asks from the page
    const body = json<{ tenant_discovery_endpoint: string; "api-version": string; metadata: { preferred_network: string; preferred_cache: string; aliases: string[] }[] }>(res);
    expect(body.tenant_discovery_endpoint).toBe(`https://${USGOV.login}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(body["api-version"]).toBe("1.1");
    expect(body.metadata).toContainEqual({ preferred_network: USGOV.login, preferred_cache: USGOV.login, aliases: [USGOV.login, "login.usgovcloudapi.net"] });
    expect(body.metadata).toContainEqual({
      preferred_network: PUBLIC.login,
      preferred_cache: "login.windows.net",
      aliases: [PUBLIC.login, "login.windows.net", "login.microsoft.com", "sts.windows.net"],
    });
    // An alias is known too (login.windows.net is the public cloud)
    expect((await discover(`api-version=1.1&authorization_endpoint=${authorize("login.windows.net")}`)).status).toBe(200);
  });

  test("an unknown authority is answered as Entra does: 400 invalid_instance, AADSTS50049", async () => {
    const res = await discover(`api-version=1.1&authorization_endpoint=${authorize("login.contoso.example")}`);
    expect(res.status).toBe(400);
    const body = json(res);
    expect(body).toMatchObject({ error: "invalid_instance", error_codes: [50049] });
    expect(body.error_description).toMatch(/^AADSTS50049: Unknown or invalid instance\./);
    expect(Object.keys(body)).toEqual(expect.arrayContaining(["timestamp", "trace_id", "correlation_id", "error_uri"]));
  });

  test("a request without api-version or authorization_endpoint is refused", async () => {
    expect((await discover(`authorization_endpoint=${authorize(PUBLIC.login)}`)).status).toBe(400);
    expect((await discover("api-version=1.1")).status).toBe(400);
    expect((await discover(`api-version=1.1&authorization_endpoint=${encodeURIComponent("http://login.microsoftonline.com/common/oauth2/v2.0/authorize")}`)).status).toBe(400);
  });

  test("each request is counted in instanceDiscovery", async () => {
    await discover(`api-version=1.1&authorization_endpoint=${authorize(USGOV.login)}`);
    await discover(`api-version=1.1&authorization_endpoint=${authorize("login.contoso.example")}`);
    await discover(`api-version=1.1&authorization_endpoint=${authorize(USGOV.login)}`, USGOV.login);
    expect((await control<Counters>(emu, "GET", "/counters")).instanceDiscovery).toBe(3);
  });

  test("in a national cloud, the worldwide host answers instance discovery only", async () => {
    const res = await requestVia(via, `https://${PUBLIC.login}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(421);
    const gov = await requestVia(via, `https://${USGOV.login}/${emu.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(json(gov).issuer).toBe(`https://${USGOV.login}/${emu.tenant.tenantId}/v2.0`);
    // and the public cloud's Graph is not this cloud's
    expect((await requestVia(via, `https://${PUBLIC.graph}/v1.0/me`, { servername: USGOV.graph, checkServerIdentity: false })).status).toBe(421);
  });

  test("US Government Graph and ARM answer at their own hosts for tokens of login.microsoftonline.us", async () => {
    const token = await ropc(via, `https://${USGOV.login}`, emu, "https://graph.microsoft.us/User.Read");
    expect(token.status).toBe(200);
    const me = await requestVia(via, `https://${USGOV.graph}/v1.0/me`, { headers: { authorization: `Bearer ${token.body.access_token}` } });
    expect(me.status).toBe(200);
    const arm = await ropc(via, `https://${USGOV.login}`, emu, "https://management.usgovcloudapi.net/user_impersonation");
    const subs = await requestVia(via, `https://${USGOV.arm}/subscriptions?${ARM_API}`, { headers: { authorization: `Bearer ${arm.body.access_token}` } });
    expect(subs.status).toBe(200);
  });
});

describe("what the real msal-node asks for at Microsoft's hosts", () => {
  let emu: RunningEmulator;
  let via: Via;
  beforeAll(async () => {
    const material = await microsoftHostsMaterial(microsoftHostNames("public"));
    emu = await startTestEmulator({ microsoftHosts: material.leaf });
    via = { port: portOf(emu), ca: material.ca.certPem };
  });
  afterAll(() => emu.close());
  beforeEach(() => control(emu, "DELETE", "/counters"));

  const app = (authority: string, sent?: string[]) =>
    new ConfidentialClientApplication({
      auth: { clientId: emu.tenant.apps.api.clientId, clientSecret: emu.tenant.apps.api.clientSecret, authority },
      system: { networkClient: msalNetworkVia(via, sent) },
    });

  test("at login.microsoftonline.com MSAL uses its built-in metadata: no instance discovery, no OpenID configuration request", async () => {
    const result = await app(`https://${PUBLIC.login}/${emu.tenant.tenantId}`).acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    expect(decodePayload(result!.accessToken)).toMatchObject({ iss: `https://sts.windows.net/${emu.tenant.tenantId}/`, ver: "1.0" });
    const c = await control<Counters>(emu, "GET", "/counters");
    expect(c.requestsByHost).toEqual({ [PUBLIC.login]: 1 });
    expect(c.tokenRequests.client_credentials?.[emu.tenant.apps.api.clientId]).toBe(1);
    expect(c.instanceDiscovery).toBe(0);
    expect(c.discovery).toBe(0);
  });

  test("an authority MSAL does not know is checked with instance discovery at login.microsoftonline.com, and refused", async () => {
    const sent: string[] = [];
    const attempt = app(`https://login.contoso.example/${emu.tenant.tenantId}`, sent).acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    // (msal-common reports any failure to resolve an authority as endpoints_resolution_error)
    await expect(attempt).rejects.toMatchObject({ errorCode: "endpoints_resolution_error" });
    // invalid_instance made MSAL stop: nothing was sent to the unknown host (any other answer makes
    // MSAL trust it as a custom domain and ask it for its OpenID configuration next)
    expect(sent).toEqual([
      `GET https://${PUBLIC.login}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.contoso.example/${emu.tenant.tenantId}/oauth2/v2.0/authorize`,
    ]);
    expect((await control<Counters>(emu, "GET", "/counters")).instanceDiscovery).toBe(1);
  });
});
