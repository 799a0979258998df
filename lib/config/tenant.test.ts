import { ConfigError } from "./errors";
import { parseConfig, signInAuthorityFor } from "./parse";
import { resolveTenantId, withTenantId } from "./tenant";

const GUID = "11111111-2222-4333-8444-555555555555";
const env = {
  AZURE_TENANT_ID: "Contoso.OnMicrosoft.com",
  AZURE_SPA_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000001",
  AZURE_API_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000002",
  AZURE_API_CLIENT_SECRET: "s",
  SESSION_PASSWORD: "x".repeat(32),
};
const json = (status: number, body: unknown) => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } }));

async function problemOf(fetchImpl: typeof fetch): Promise<string> {
  try {
    await resolveTenantId(parseConfig(env), fetchImpl, 50);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.variable}: ${p.message}`).join("\n");
    throw e;
  }
  return "";
}

describe("resolveTenantId (AZURE_TENANT_ID as a domain)", () => {
  it("reads the GUID from the issuer of the domain's OpenID metadata", async () => {
    let asked = "";
    const tenant = await resolveTenantId(parseConfig(env), (url) => {
      asked = String(url);
      return json(200, { issuer: `https://login.microsoftonline.com/${GUID.toUpperCase()}/v2.0` });
    });
    expect(asked).toBe("https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration");
    expect(tenant).toBe(GUID);
  });

  it("names AZURE_TENANT_ID when the domain is unknown, the identity provider is unreachable or silent, or the metadata names no tenant", async () => {
    expect(await problemOf(() => json(400, { error: "invalid_tenant", error_codes: [90002] }))).toMatch(/^AZURE_TENANT_ID: .*HTTP 400 \(AADSTS90002\)/);
    expect(await problemOf(() => Promise.reject(new TypeError("fetch failed")))).toMatch(/^AZURE_TENANT_ID: .*the request failed/);
    expect(await problemOf((_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason as Error))))).toMatch(
      /^AZURE_TENANT_ID: .*no answer within/,
    );
    expect(await problemOf(() => json(200, { issuer: "https://login.microsoftonline.com/common/v2.0" }))).toMatch(/^AZURE_TENANT_ID: .*names none in its issuer/);
  });

  it("puts the GUID everywhere: authority, allowed tenants (the home GUID listed again stays single-tenant), sign-in authority", () => {
    const parsed = parseConfig({ ...env, AZURE_ALLOWED_TENANTS: GUID });
    expect(parsed.signInAuthority).toBe("https://login.microsoftonline.com/organizations"); // the domain and the GUID look like two tenants
    const resolved = withTenantId(parsed, GUID, (tid, allowed) => signInAuthorityFor(parsed.authorityHost, tid, allowed));
    expect(resolved).toMatchObject({
      tenantId: GUID,
      tenantDomain: "contoso.onmicrosoft.com",
      authority: `https://login.microsoftonline.com/${GUID}`,
      signInAuthority: `https://login.microsoftonline.com/${GUID}`,
      allowedTenants: [GUID],
    });
  });
});
