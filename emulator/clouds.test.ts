// The emulator playing a national cloud: that cloud's audiences everywhere, the public ones refused.
import { ConfidentialClientApplication, ManagedIdentityApplication } from "@azure/msal-node";
import { emulatorCloud, EMULATOR_CLOUDS, seedForCloud } from "./clouds";
import type { RunningEmulator } from "./index";
import { TenantStore } from "./tenant-store";
import { decodePayload, msalAuth, REPO_ROOT, setupTestEmulator } from "./test-support/harness";
import path from "node:path";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e), { cloud: "usgov", reset: false });

async function withManagedIdentity<T>(fn: (mia: ManagedIdentityApplication) => Promise<T>): Promise<T> {
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  process.env.IDENTITY_ENDPOINT = emu.tenant.managedIdentity.endpoint;
  process.env.IDENTITY_HEADER = emu.tenant.managedIdentity.header;
  try {
    return await fn(new ManagedIdentityApplication({ managedIdentityIdParams: { userAssignedClientId: emu.tenant.managedIdentity.clientId } }));
  } finally {
    for (const [k, v] of [["IDENTITY_ENDPOINT", saved.endpoint], ["IDENTITY_HEADER", saved.header]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test("rewrites the seed's public-cloud identifiers and federated credential audience", () => {
  const seed = TenantStore.loadSeed(path.join(REPO_ROOT, "emulator", "tenant-data.json"));
  const usgov = seedForCloud(seed, EMULATOR_CLOUDS.usgov);
  expect(usgov.resources.map((r) => r.tokenAudience)).toEqual(["https://graph.microsoft.us", "https://management.usgovcloudapi.net"]);
  expect(usgov.apps.api.federatedCredentials?.[0]?.audiences).toEqual(["api://AzureADTokenExchangeUSGov"]);
  expect(JSON.stringify(usgov)).not.toMatch(/graph\.microsoft\.com|management\.azure\.com|"api:\/\/AzureADTokenExchange"/);
  expect(seedForCloud(seed, EMULATOR_CLOUDS.public)).toBe(seed);
  expect(() => emulatorCloud("mars")).toThrow(/EMULATOR_CLOUD must be one of public, usgov, china/);
});

test("the managed identity token exchange works with the US Government audience only", async () => {
  await withManagedIdentity(async (mia) => {
    const ok = await mia.acquireToken({ resource: "api://AzureADTokenExchangeUSGov" });
    expect(decodePayload(ok.accessToken).aud).toBe("api://AzureADTokenExchangeUSGov");
    await expect(mia.acquireToken({ resource: "api://AzureADTokenExchange", forceRefresh: true })).rejects.toThrow();

    // …and the API's federated credential accepts it as its client assertion.
    const cca = new ConfidentialClientApplication({
      auth: { ...msalAuth(emu, emu.tenant.apps.api.clientId), clientAssertion: async () => ok.accessToken },
    });
    const r = await cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.us/.default"] });
    expect(decodePayload(r!.accessToken)).toMatchObject({ aud: "https://graph.microsoft.us", appidacr: "2", iss: `https://sts.windows.net/${emu.tenant.tenantId}/` });
    await expect(cca.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] })).rejects.toThrow(/AADSTS500011/);
  });
});
