// The test control API, and the emulator staying up under bad input.
import { connect } from "node:tls";
import { readFileSync } from "node:fs";
import type { RunningEmulator } from "./index";
import { Browser, control, decodePayload, has, pkcePair, setupTestEmulator, tokenRequest } from "./test-support/harness";

let emu: RunningEmulator;
setupTestEmulator((e) => (emu = e));

interface Counters {
  tokenRequests: Record<string, Record<string, number> | undefined>;
  total: number;
  graph: number;
  arm: number;
}

describe("control API", () => {
  test("401 without or with a wrong secret", async () => {
    const none = await fetch(`${emu.tenant.control.url}/counters`);
    expect(none.status).toBe(401);
    const wrong = await fetch(`${emu.tenant.control.url}/reset`, { method: "POST", headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: "unauthorized" });
  });

  test("counters per grant type and client; reset clears them", async () => {
    const u = emu.tenant.users[0]!;
    const cli = emu.tenant.apps.cli.clientId;
    await tokenRequest(emu, { grant_type: "password", client_id: cli, username: u.username, password: u.password, scope: "User.Read" });
    await tokenRequest(emu, { grant_type: "password", client_id: cli, username: u.username, password: "bad", scope: "User.Read" });
    const api = emu.tenant.apps.api;
    await tokenRequest(emu, { grant_type: "client_credentials", client_id: api.clientId, client_secret: api.clientSecret, scope: "https://graph.microsoft.com/.default" });
    const c = await control<Counters>(emu, "GET", "/counters");
    expect(c.tokenRequests.password?.[cli]).toBe(2);
    expect(c.tokenRequests.client_credentials?.[api.clientId]).toBe(1);
    expect(c.total).toBe(3);
    expect(c).toMatchObject({ graph: 0, arm: 0 });
    await control(emu, "POST", "/reset");
    expect((await control<Counters>(emu, "GET", "/counters")).total).toBe(0);
  });

  test("/next-link plants a paging link, verbatim, in the next Graph or ARM collection responses", async () => {
    const graphToken = (await control<{ access_token: string }>(emu, "POST", "/tokens", { scopes: ["https://graph.microsoft.com/User.ReadBasic.All"] })).access_token;
    const armToken = (await control<{ access_token: string }>(emu, "POST", "/tokens", { scopes: ["https://management.azure.com/user_impersonation"] })).access_token;
    const page = async (url: string, token: string) => (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as Record<string, unknown>;
    await control(emu, "POST", "/next-link", { target: "graph", nextLink: " https:\\evil.example/x", count: 1 });
    await control(emu, "POST", "/next-link", { target: "arm", nextLink: "http:evil.example/x" });
    expect(await control(emu, "GET", "/next-link")).toEqual({
      nextLinks: [
        { target: "graph", nextLink: " https:\\evil.example/x", remaining: 1 },
        { target: "arm", nextLink: "http:evil.example/x" },
      ],
    });
    const users = `${emu.tenant.graphBaseUrl}/users?$top=2`;
    expect((await page(users, graphToken))["@odata.nextLink"]).toBe(" https:\\evil.example/x");
    expect((await page(users, graphToken))["@odata.nextLink"]).toMatch(/^https:\/\/localhost:\d+\/graph\/v1\.0\/users\?/); // count 1: used up
    const subscriptions = `${emu.tenant.armBaseUrl}/subscriptions?api-version=2022-12-01`;
    expect((await page(subscriptions, armToken)).nextLink).toBe("http:evil.example/x");
    expect((await page(subscriptions, armToken)).nextLink).toBe("http:evil.example/x"); // until cleared
    await control(emu, "DELETE", "/next-link?target=arm");
    expect((await page(subscriptions, armToken)).nextLink).toMatch(/^https:\/\/localhost:\d+\/arm\/subscriptions\?/);
    await expect(control(emu, "POST", "/next-link", { target: "token", nextLink: "x" })).rejects.toThrow(/400/);
    await expect(control(emu, "POST", "/next-link", { target: "arm" })).rejects.toThrow(/400/);
  });

  test("token-lifetime changes expires_in of new tokens", async () => {
    await control(emu, "POST", "/token-lifetime", { seconds: 120 });
    const u = emu.tenant.users[0]!;
    const r = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: u.username, password: u.password, scope: "User.Read" });
    expect(r.body.expires_in).toBe(120);
    const p = decodePayload(String(r.body.access_token));
    expect(Number(p.exp) - Number(p.iat)).toBe(120);
  });

  test("load users exist only once POST /users created them: the sign-in form, ROPC and /tokens do not invent loaduser<N> (issue #20 item 12)", async () => {
    const ghost = "loaduser777@contoso.test";
    const password = emu.tenant.users[0]!.password;
    const ropc = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: ghost, password, scope: "User.Read" });
    expect(ropc.status).toBe(400);
    expect(ropc.body.error_codes).toEqual([50034]);
    await expect(control(emu, "POST", "/tokens", { username: ghost, scopes: [emu.tenant.apps.api.scope] })).rejects.toThrow(/404/);
    const { challenge } = pkcePair();
    const browser = new Browser(emu);
    const form = await browser.go(
      `${emu.tenant.authority}/oauth2/v2.0/authorize?${new URLSearchParams({ client_id: emu.tenant.apps.spa.clientId, response_type: "code", redirect_uri: emu.tenant.apps.spa.redirectUris[0]!, scope: "openid", code_challenge: challenge, code_challenge_method: "S256" })}`,
    );
    const refused = await browser.submit(form, { username: ghost, password });
    expect(refused.leftTo).toBeUndefined();
    expect(has(refused, "This username may be incorrect")).toBe(true);

    // Created by the control call (from any number, as the load tests need), they are real users.
    const created = await control<{ users: { username: string }[] }>(emu, "POST", "/users", { count: 2, first: 777 });
    expect(created.users.map((u) => u.username)).toEqual([ghost, "loaduser778@contoso.test"]);
    expect((await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: ghost, password, scope: "User.Read" })).status).toBe(200);
  });

  test("/tokens mints user, synthetic-user and app-only tokens quickly", async () => {
    const api = emu.tenant.apps.api;
    await control(emu, "POST", "/users", { count: 2000, first: 1 });
    const one = await control<{ access_token: string; expires_on: number }>(emu, "POST", "/tokens", {
      username: "loaduser42@contoso.test",
      scopes: [api.scope],
      claims: { custom: "x" },
    });
    expect(decodePayload(one.access_token)).toMatchObject({ aud: api.clientId, scp: "access_as_user", preferred_username: "loaduser42@contoso.test", custom: "x" });
    expect(one.expires_on).toBeGreaterThan(Date.now() / 1000);
    const app = await control<{ access_token: string }>(emu, "POST", "/tokens", { scopes: [`${api.appIdUri}/.default`], appOnly: true });
    expect(decodePayload(app.access_token)).toMatchObject({ idtyp: "app", roles: ["access_as_application"], aud: api.clientId });
    expect(decodePayload(app.access_token).scp).toBeUndefined();

    let start = Date.now();
    for (let i = 1; i <= 100; i++) await control(emu, "POST", "/tokens", { username: `loaduser${i}@contoso.test`, scopes: [api.scope] });
    expect(Date.now() - start).toBeLessThan(5_000);
    start = Date.now();
    const { tokens } = await control<{ tokens: { access_token: string }[] }>(emu, "POST", "/tokens", {
      batch: Array.from({ length: 2000 }, (_, i) => ({ username: `loaduser${i + 1}@contoso.test`, scopes: [api.scope] })),
    });
    expect(new Set(tokens.map((m) => m.access_token)).size).toBe(2000);
    expect(decodePayload(tokens[1999]!.access_token).preferred_username).toBe("loaduser2000@contoso.test");
    expect(Date.now() - start).toBeLessThan(10_000);
  });

  test("/users creates synthetic users that can sign in and OBO", async () => {
    const r = await control<{ users: { username: string; oid: string }[]; password: string }>(emu, "POST", "/users", { count: 3 });
    expect(r.users.map((u) => u.username)).toEqual(["loaduser1@contoso.test", "loaduser2@contoso.test", "loaduser3@contoso.test"]);
    const t = await tokenRequest(emu, { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: r.users[0]!.username, password: r.password, scope: "User.Read" });
    expect(decodePayload(String(t.body.access_token)).oid).toBe(r.users[0]!.oid);
    // a range of its own: the benchmarks keep their users apart (loaduser<first>…)
    const range = await control<{ users: { username: string }[] }>(emu, "POST", "/users", { first: 500_001, count: 2 });
    expect(range.users.map((u) => u.username)).toEqual(["loaduser500001@contoso.test", "loaduser500002@contoso.test"]);
    const headers = { authorization: `Bearer ${emu.tenant.control.secret}`, "content-type": "application/json" };
    const beyond = await fetch(`${emu.tenant.control.url}/users`, { method: "POST", headers, body: JSON.stringify({ first: 9_999_999, count: 2 }) });
    expect(beyond.status).toBe(400);
  });

  test("bad control input answers 400/404 JSON", async () => {
    const headers = { authorization: `Bearer ${emu.tenant.control.secret}`, "content-type": "application/json" };
    const badJson = await fetch(`${emu.tenant.control.url}/faults`, { method: "POST", headers, body: "{nope" });
    expect(badJson.status).toBe(400);
    const badFault = await fetch(`${emu.tenant.control.url}/faults`, { method: "POST", headers, body: JSON.stringify({ target: "dns", mode: "down" }) });
    expect(badFault.status).toBe(400);
    const unknown = await fetch(`${emu.tenant.control.url}/nothing`, { method: "POST", headers, body: "{}" });
    expect(unknown.status).toBe(404);
    const noUser = await fetch(`${emu.tenant.control.url}/mfa`, { method: "POST", headers, body: JSON.stringify({ username: "ghost@contoso.test" }) });
    expect(noUser.status).toBe(404);
  });

  test("token endpoint faults answer Entra-shaped errors", async () => {
    await control(emu, "POST", "/faults", { target: "token", mode: "throttle", retryAfter: 7, count: 1 });
    const u = emu.tenant.users[0]!;
    const form = { grant_type: "password", client_id: emu.tenant.apps.cli.clientId, username: u.username, password: u.password, scope: "User.Read" };
    const throttled = await tokenRequest(emu, form);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("7");
    expect(String(throttled.body.error_description)).toMatch(/^AADSTS\d+:/);
    expect((await tokenRequest(emu, form)).status).toBe(200);
    await control(emu, "POST", "/faults", { target: "jwks", mode: "down", count: 1 });
    expect((await fetch(`${emu.tenant.authority}/discovery/v2.0/keys`)).status).toBe(503);
    expect((await fetch(`${emu.tenant.authority}/discovery/v2.0/keys`)).status).toBe(200);
  });
});

describe("robustness", () => {
  test("malformed, huge and wrong-method requests get Entra errors and the server keeps serving", async () => {
    const url = `${emu.tenant.authority}/oauth2/v2.0/token`;
    const garbage = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "%%%&&==grant_type" });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: "invalid_request", error_codes: [900144] });
    const jsonBody = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: '{"grant_type":' });
    expect(jsonBody.status).toBe(400);
    const huge = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `grant_type=password&x=${"a".repeat(2_000_000)}` });
    expect(huge.status).toBe(400);
    expect(await huge.json()).toMatchObject({ error: "invalid_request" });
    const get = await fetch(url);
    expect(get.status).toBe(400);
    expect(await get.json()).toMatchObject({ error_codes: [900561] });
    const authorizePage = await fetch(`${emu.tenant.authority}/oauth2/v2.0/authorize`);
    expect(authorizePage.status).toBe(400);
    const badTenantPage = await fetch(`${emu.url}/%E0%A4%A/oauth2/v2.0/authorize`);
    expect(badTenantPage.status).toBeGreaterThanOrEqual(400);
    const staleForm = await fetch(`${emu.url}/_login/credentials`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "pending=nope" });
    expect(staleForm.status).toBe(400);
    const preflight = await fetch(url, { method: "OPTIONS", headers: { origin: "http://localhost:3000", "access-control-request-method": "POST" } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    const nothing = await fetch(`${emu.url}/nope/nothing`);
    expect(nothing.status).toBe(404);

    // Raw protocol garbage over TLS.
    await new Promise<void>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: Number(new URL(emu.url).port), servername: "localhost", ca: readFileSync(emu.tenant.caCertPath) }, () => {
        socket.write("NOT HTTP AT ALL\r\n\r\n");
      });
      socket.on("data", () => undefined);
      socket.on("close", () => resolve());
      socket.on("error", () => resolve());
    });
    expect((await fetch(`${emu.url}/_health`)).status).toBe(200);
  });
});
