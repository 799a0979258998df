// Metadata endpoints and signing keys, verified with jose's remote JWKS (as the
// app's verifier does), including key rotation.
import { PublicClientApplication } from "@azure/msal-node";
import type { RunningEmulator } from "./index";
import { control, decodeHeader, decodePayload, msalAuth, setupTestEmulator, tokenRequest, verifyWithJose } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e), { reset: false });

async function json(url: string) {
  const res = await fetch(url);
  return { res, body: (await res.json()) as Record<string, unknown> };
}

async function ropcToken(): Promise<string> {
  const u = emu.tenant.users[0]!;
  const r = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: u.username, password: u.password, scope: "User.Read" });
  return String(r.body.access_token);
}

describe("OpenID configuration", () => {
  test("tenant document: issuer and endpoints under the tenant, CORS open", async () => {
    const tid = emu.tenant.tenantId;
    const { res, body } = await json(`${emu.url}/${tid}/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(body).toMatchObject({
      issuer: emu.tenant.issuer,
      authorization_endpoint: `${emu.url}/${tid}/oauth2/v2.0/authorize`,
      token_endpoint: `${emu.url}/${tid}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${emu.url}/${tid}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${emu.url}/${tid}/oauth2/v2.0/logout`,
      jwks_uri: `${emu.url}/${tid}/discovery/v2.0/keys`,
      id_token_signing_alg_values_supported: ["RS256"],
    });
  });

  test("organizations/common documents use the {tenantid} issuer template, and msal-node accepts them", async () => {
    for (const seg of ["organizations", "common"]) {
      const { body } = await json(`${emu.url}/${seg}/v2.0/.well-known/openid-configuration`);
      expect(body.issuer).toBe(`${emu.url}/{tenantid}/v2.0`);
      expect(body.token_endpoint).toBe(`${emu.url}/${seg}/oauth2/v2.0/token`);
    }
    const u = emu.tenant.users[0]!;
    const pca = new PublicClientApplication({ auth: msalAuth(emu, emu.tenant.apps.cli.clientId, "organizations") });
    const r = await pca.acquireTokenByUsernamePassword({ scopes: ["User.Read"], username: u.username, password: u.password });
    expect(r?.tenantId).toBe(emu.tenant.tenantId);
    // Graph's token: a v1.0 token of the user's home tenant (issuer https://sts.windows.net/<tid>/)
    expect(decodePayload(r!.accessToken).iss).toBe(`https://sts.windows.net/${emu.tenant.tenantId}/`);
  });

  test("unknown tenant: AADSTS90002", async () => {
    const { res, body } = await json(`${emu.url}/00000000-0000-0000-0000-000000000000/v2.0/.well-known/openid-configuration`);
    expect(res.status).toBe(400);
    expect(body).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
  });

  test("instance discovery and user realm", async () => {
    const { body: instance } = await json(`${emu.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${emu.tenant.authority}/oauth2/v2.0/authorize`)}`);
    const host = new URL(emu.url).host;
    expect(instance).toMatchObject({
      // Entra names the asked authority's own document (msal-common test_kit CLOUD_DISCOVERY_METADATA)
      tenant_discovery_endpoint: `${emu.tenant.authority}/v2.0/.well-known/openid-configuration`,
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
    const { body: realm } = await json(`${emu.url}/common/userrealm/megan.bowen@contoso.test?api-version=1.0`);
    expect(realm).toMatchObject({ account_type: "Managed", domain_name: "contoso.test", cloud_instance_name: expect.any(String) });
  });
});

describe("signing keys", () => {
  test("JWKS: RS256 keys with kid = x5t, use sig, certificate chain", async () => {
    const { res, body } = await json(`${emu.tenant.authority}/discovery/v2.0/keys`);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const keys = body.keys as Record<string, unknown>[];
    expect(keys.length).toBeGreaterThanOrEqual(1);
    for (const k of keys) {
      expect(k).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB", kid: expect.any(String), n: expect.any(String), x5c: [expect.any(String)] });
      expect(k.kid).toBe(k.x5t);
    }
  });

  test("tokens verify with jose's createRemoteJWKSet; rotation keeps old tokens valid until the old key is dropped", async () => {
    const jwksUri = `${emu.tenant.authority}/discovery/v2.0/keys`;
    // Graph tokens are v1.0: their issuer is https://sts.windows.net/<tid>/, signed with the same keys.
    const check = (token: string) => ({ token, issuer: `https://sts.windows.net/${emu.tenant.tenantId}/`, audience: "https://graph.microsoft.com" });
    const before = await ropcToken();
    const [first] = await verifyWithJose(jwksUri, [check(before)]);
    expect(first).toMatchObject({ ok: true, kid: decodeHeader(before).kid });

    const rotated = await control<{ kid: string; publishedKids: string[] }>(emu, "POST", "/keys/rotate");
    expect(rotated.kid).not.toBe(decodeHeader(before).kid);
    expect(rotated.publishedKids).toContain(decodeHeader(before).kid);
    const after = await ropcToken();
    expect(decodeHeader(after).kid).toBe(rotated.kid);
    const [oldStill, fresh] = await verifyWithJose(jwksUri, [check(before), check(after)]);
    expect(oldStill?.ok).toBe(true);
    expect(fresh).toMatchObject({ ok: true, kid: rotated.kid });
    const wrongAudience = await verifyWithJose(jwksUri, [{ ...check(after), audience: emu.tenant.apps.api.clientId }]);
    expect(wrongAudience[0]?.ok).toBe(false);

    await control(emu, "POST", "/keys/rotate", { dropPrevious: true });
    const [dropped] = await verifyWithJose(jwksUri, [check(before)]);
    expect(dropped).toMatchObject({ ok: false, code: "ERR_JWKS_NO_MATCHING_KEY" });
    // The emulator itself refuses tokens signed with a dropped key too.
    const me = await fetch(`${emu.tenant.graphBaseUrl}/me`, { headers: { authorization: `Bearer ${before}` } });
    expect(me.status).toBe(401);

    await control(emu, "POST", "/reset");
    const [restored] = await verifyWithJose(jwksUri, [check(before)]);
    expect(restored?.ok).toBe(true);
  });
});
