import path from "node:path";
import { ConfigError } from "../lib/config/errors";
import { CliError } from "./errors";
import { cacheDir, parseTenantFile, resolveSettings } from "./settings";

const TENANT = "566bf9d7-c55a-45f8-91a6-e55e9b9b1325";
const CLIENT = "683447c1-0cc8-4f11-9d4e-abbd1fcfb980";
const root = "/repo";

const tenantJson = JSON.stringify({
  authority: `https://localhost:4443/${TENANT}`,
  caCertPath: "ca.pem",
  graphBaseUrl: "https://localhost:4443/graph/v1.0",
  apps: { cli: { clientId: CLIENT } },
});

function files(map: Record<string, string>) {
  return (p: string) => {
    const v = map[p];
    if (v === undefined) throw Object.assign(new Error("ENOENT"), { code: "ENOENT" });
    return v;
  };
}

describe("resolveSettings", () => {
  test("emulator mode by default, from .emulator/tenant.json, trusting its CA", () => {
    const s = resolveSettings({ CLI_CACHE_DIR: "/tmp/c" }, {
      projectRoot: root,
      readFile: files({ "/repo/.emulator/tenant.json": tenantJson, "/repo/.emulator/ca.pem": "PEM" }),
    });
    expect(s).toMatchObject({
      mode: "emulator",
      authority: `https://localhost:4443/${TENANT}`,
      knownAuthorities: ["localhost:4443"],
      clientId: CLIENT,
      graphBaseUrl: "https://localhost:4443/graph/v1.0",
      graphResource: "https://graph.microsoft.com",
      caPem: "PEM",
    });
    expect(path.dirname(s.cacheFile)).toBe("/tmp/c");
    expect(path.basename(s.cacheFile)).toMatch(/^msal-cache-[0-9a-f]{16}\.json$/);
  });

  test("emulator mode: a multi-tenant CLI registration signs in at organizations (users of every emulated tenant)", () => {
    const multi = JSON.stringify({ ...JSON.parse(tenantJson), apps: { cli: { clientId: CLIENT, signInAudience: "AzureADMultipleOrgs" } } });
    const s = resolveSettings({ CLI_CACHE_DIR: "/tmp/c" }, { projectRoot: root, readFile: files({ "/repo/.emulator/tenant.json": multi, "/repo/.emulator/ca.pem": "PEM" }) });
    expect(s.authority).toBe("https://localhost:4443/organizations");
  });

  test("tenant mode: other tenants in AZURE_ALLOWED_TENANTS → the organizations authority", () => {
    const other = "5d96cf7f-265b-4da9-8f0c-26ef4243ed52";
    const base = { AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, HOME: "/home/u" };
    const opts = { projectRoot: root, platform: "linux" as const, readFile: files({}) };
    expect(resolveSettings({ ...base, AZURE_ALLOWED_TENANTS: `${TENANT}, ${other}` }, opts).authority).toBe("https://login.microsoftonline.com/organizations");
    expect(resolveSettings({ ...base, AZURE_ALLOWED_TENANTS: TENANT }, opts).authority).toBe(`https://login.microsoftonline.com/${TENANT}`);
  });

  test("EMULATOR_TENANT_FILE points elsewhere", () => {
    const s = resolveSettings({ EMULATOR_TENANT_FILE: "/t/tenant.json", CLI_CACHE_DIR: "/c" }, {
      projectRoot: root,
      readFile: files({ "/t/tenant.json": tenantJson, "/t/ca.pem": "PEM2" }),
    });
    expect(s.caPem).toBe("PEM2");
  });

  test("emulator not running -> one explained error", () => {
    expect(() => resolveSettings({}, { projectRoot: root, readFile: files({}) })).toThrow(/identity emulator is not running.*npm run emulator/);
  });

  test("upper-case GUIDs name the same tenant, app and token cache as lower-case ones (issue #14 item 8)", () => {
    const options = { projectRoot: root, platform: "linux" as const, readFile: files({}) };
    const lower = resolveSettings({ AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, HOME: "/home/u" }, options);
    const upper = resolveSettings({ AZURE_TENANT_ID: TENANT.toUpperCase(), AZURE_CLI_CLIENT_ID: CLIENT.toUpperCase(), HOME: "/home/u" }, options);
    expect(upper.authority).toBe(`https://login.microsoftonline.com/${TENANT}`);
    expect(upper.clientId).toBe(CLIENT);
    expect(upper.cacheFile).toBe(lower.cacheFile);
  });

  test("tenant mode when AZURE_TENANT_ID is set", () => {
    const s = resolveSettings({ AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, HOME: "/home/u" }, { projectRoot: root, platform: "linux", readFile: files({}) });
    expect(s).toMatchObject({
      mode: "tenant",
      authority: `https://login.microsoftonline.com/${TENANT}`,
      knownAuthorities: [],
      graphBaseUrl: "https://graph.microsoft.com/v1.0",
      graphResource: "https://graph.microsoft.com",
      caPem: undefined,
    });
    expect(s.cacheFile.startsWith("/home/u/.config/ms-identity-nextjs/")).toBe(true);
  });

  test("tenant mode names every missing or malformed variable", () => {
    let err: unknown;
    try {
      resolveSettings({ IDENTITY_MODE: "tenant", AZURE_AUTHORITY_HOST: "http://login.example", GRAPH_BASE_URL: "nope" }, { projectRoot: root });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).problems.map((p) => p.variable);
    expect(vars).toEqual(["AZURE_TENANT_ID", "AZURE_CLI_CLIENT_ID", "AZURE_AUTHORITY_HOST", "GRAPH_BASE_URL"]);
  });

  test("a non-Microsoft authority host becomes a known authority; national cloud Graph sets the scope prefix", () => {
    const s = resolveSettings(
      { AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, AZURE_AUTHORITY_HOST: "https://login.contoso.example/", GRAPH_BASE_URL: "https://graph.microsoft.us/v1.0", CLI_CACHE_DIR: "/c" },
      { projectRoot: root },
    );
    expect(s.knownAuthorities).toEqual(["login.contoso.example"]);
    expect(s.authority).toBe(`https://login.contoso.example/${TENANT}`);
    expect(s.graphResource).toBe("https://graph.microsoft.us");
  });

  // Issue #20 item 5: Graph and its scopes follow the sign-in host's cloud, as in the app (lib/config/clouds.ts).
  test.each([
    ["https://login.microsoftonline.us", "https://graph.microsoft.us/v1.0", "https://graph.microsoft.us"],
    ["https://login.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://microsoftgraph.chinacloudapi.cn"],
    ["https://login.partner.microsoftonline.cn", "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://microsoftgraph.chinacloudapi.cn"],
    ["https://login.microsoftonline.com", "https://graph.microsoft.com/v1.0", "https://graph.microsoft.com"],
  ])("tenant mode at %s: Graph defaults to %s, scopes under %s", (authorityHost, graphBaseUrl, graphResource) => {
    const s = resolveSettings({ AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, AZURE_AUTHORITY_HOST: authorityHost, CLI_CACHE_DIR: "/c" }, { projectRoot: root });
    expect(s).toMatchObject({ authority: `${authorityHost}/${TENANT}`, knownAuthorities: [], graphBaseUrl, graphResource });
  });

  test("a Graph of another cloud than the sign-in host stops with a message naming GRAPH_BASE_URL", () => {
    let err: unknown;
    try {
      resolveSettings({ AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us", GRAPH_BASE_URL: "https://graph.microsoft.com/v1.0" }, { projectRoot: root });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.map((p) => p.variable)).toEqual(["GRAPH_BASE_URL"]);
    expect(problems[0]!.message).toContain("US Government");
    expect(problems[0]!.message).toContain("https://graph.microsoft.us/v1.0");
  });

  test("a Graph proxy keeps the sign-in cloud's scopes", () => {
    const s = resolveSettings(
      { AZURE_TENANT_ID: TENANT, AZURE_CLI_CLIENT_ID: CLIENT, AZURE_AUTHORITY_HOST: "https://login.microsoftonline.us", GRAPH_BASE_URL: "https://graph-proxy.contoso.example/v1.0", CLI_CACHE_DIR: "/c" },
      { projectRoot: root },
    );
    expect(s).toMatchObject({ graphBaseUrl: "https://graph-proxy.contoso.example/v1.0", graphResource: "https://graph.microsoft.us" });
  });

  test("IDENTITY_MODE=emulator wins over a configured tenant", () => {
    expect(() => resolveSettings({ IDENTITY_MODE: "emulator", AZURE_TENANT_ID: TENANT }, { projectRoot: root, readFile: files({}) })).toThrow(CliError);
  });
});

describe("cacheDir", () => {
  test.each([
    [{ CLI_CACHE_DIR: "/x" }, "linux", "/x"],
    [{ XDG_CONFIG_HOME: "/xdg", HOME: "/h" }, "linux", "/xdg/ms-identity-nextjs"],
    [{ XDG_CONFIG_HOME: "relative", HOME: "/h" }, "linux", "/h/.config/ms-identity-nextjs"],
    [{ HOME: "/h" }, "darwin", "/h/.config/ms-identity-nextjs"],
    [{ APPDATA: "/appdata", HOME: "/h" }, "win32", path.join("/appdata", "ms-identity-nextjs")],
  ] as const)("%j on %s -> %s", (env, platform, expected) => {
    expect(cacheDir(env, platform)).toBe(expected);
  });
});

test("parseTenantFile names missing fields", () => {
  expect(() => parseTenantFile("{}", "t.json")).toThrow(/lacks authority, caCertPath, graphBaseUrl, apps\.cli\.clientId/);
  expect(() => parseTenantFile("nope", "t.json")).toThrow(/not valid JSON/);
});
