// App Service's managed identity endpoint as the emulator plays it: the web app has a
// user-assigned identity only (as infra/ deploys it), so a request must name it — client_id,
// object_id/principal_id or mi_res_id — and a request naming none asks for a system-assigned
// identity that does not exist (Microsoft Learn, "How to use managed identities for App Service",
// REST endpoint reference; "Configure an application to trust a managed identity": only
// user-assigned identities can be federated credentials).
import { ManagedIdentityApplication } from "@azure/msal-node";
import type { RunningEmulator } from "./index";
import { decodePayload, setupTestEmulator } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

const mi = () => emu.tenant.managedIdentity;

async function msi(query: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(mi().endpoint);
  for (const [k, v] of Object.entries({ resource: "api://AzureADTokenExchange", "api-version": "2019-08-01", ...query })) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { "x-identity-header": mi().header } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("tenant.json describes the user-assigned identity: client id, object id and resource id", () => {
  expect(mi().clientId).toMatch(/^[0-9a-f-]{36}$/);
  expect(mi().objectId).toMatch(/^[0-9a-f-]{36}$/);
  expect(mi().resourceId).toMatch(/^\/subscriptions\/[0-9a-f-]{36}\/resourcegroups\/[^/]+\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\/[^/]+$/i);
});

test("a request that names no identity asks for a system-assigned one, which this app does not have", async () => {
  const r = await msi({});
  expect(r.status).toBe(400);
  expect(r.body).toMatchObject({ statusCode: 400 });
  expect(String(r.body.message)).toMatch(/system-assigned/i);
});

test("the user-assigned identity by client_id, object_id, principal_id or mi_res_id; any other id is refused", async () => {
  const queries: Record<string, string>[] = [
    { client_id: mi().clientId },
    { client_id: mi().clientId.toUpperCase() },
    { object_id: mi().objectId },
    { principal_id: mi().objectId },
    { mi_res_id: mi().resourceId },
  ];
  for (const query of queries) {
    const r = await msi(query);
    expect({ query, status: r.status }).toEqual({ query, status: 200 });
    expect(r.body.client_id).toBe(mi().clientId);
    expect(decodePayload(String(r.body.access_token))).toMatchObject({ sub: mi().objectId, aud: "api://AzureADTokenExchange" });
  }
  const unknown = await msi({ client_id: "00000000-1111-4222-8333-444444444444" });
  expect(unknown.status).toBe(400);
  expect(String(unknown.body.message)).toMatch(/00000000-1111-4222-8333-444444444444/);
  // Only one of the id parameters at a time (the REST reference: "Can't be used on a request that includes ...").
  const both = await msi({ client_id: mi().clientId, object_id: mi().objectId });
  expect(both.status).toBe(400);
});

test("msal-node's ManagedIdentityApplication works with the user-assigned client id, and not without it", async () => {
  const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
  process.env.IDENTITY_ENDPOINT = mi().endpoint;
  process.env.IDENTITY_HEADER = mi().header;
  try {
    const userAssigned = new ManagedIdentityApplication({ managedIdentityIdParams: { userAssignedClientId: mi().clientId } });
    const ok = await userAssigned.acquireToken({ resource: "api://AzureADTokenExchange" });
    expect(decodePayload(ok.accessToken).sub).toBe(mi().objectId);
    await expect(new ManagedIdentityApplication().acquireToken({ resource: "api://AzureADTokenExchange" })).rejects.toThrow();
  } finally {
    for (const [k, v] of [["IDENTITY_ENDPOINT", saved.endpoint], ["IDENTITY_HEADER", saved.header]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
});
