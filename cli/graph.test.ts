import { GraphClient, GraphUnauthorized, ManagerUnavailable, type GraphTransport } from "./graph";
import type { HttpResponse } from "./http";
import { NetworkFailure } from "./http";
import { formatProfileAndManager, formatUsers, mmss } from "./output";

const BASE = "https://graph.example/v1.0";

/** A transport that answers from a list, recording what was asked. */
function transport(answers: Array<HttpResponse | Error>) {
  const calls: Array<{ url: string; headers: Record<string, string> }> = [];
  const t: GraphTransport = {
    options: { timeoutMs: 1000, emulator: false },
    request: async (url, init) => {
      calls.push({ url, headers: init?.headers ?? {} });
      const next = answers.shift();
      if (!next) throw new Error(`unexpected request ${url}`);
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { t, calls };
}
const ok = (body: unknown, headers: Record<string, string> = {}): HttpResponse => ({ status: 200, headers, text: JSON.stringify(body) });

test("users follows @odata.nextLink and sends token and a client-request-id each time", async () => {
  const { t, calls } = transport([
    ok({ value: [{ displayName: "A" }], "@odata.nextLink": `${BASE}/users?$skiptoken=2` }),
    ok({ value: [{ displayName: "B" }, { displayName: "C" }] }),
  ]);
  const pages: number[] = [];
  const users = await new GraphClient(t, BASE, () => "tok").users({ pageSize: 1, onPage: (p) => pages.push(p) });
  expect(users.map((u) => u.displayName)).toEqual(["A", "B", "C"]);
  expect(pages).toEqual([1, 2]);
  expect(calls.map((c) => c.url)).toEqual([`${BASE}/users?%24select=id%2CdisplayName%2CuserPrincipalName%2Cmail%2CjobTitle&%24top=1`, `${BASE}/users?$skiptoken=2`]);
  expect(calls[0]!.headers.authorization).toBe("Bearer tok");
  expect(calls[0]!.headers["client-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  expect(calls[0]!.headers["client-request-id"]).not.toBe(calls[1]!.headers["client-request-id"]);
});

test("a nextLink to another host is refused: the token never leaves Graph", async () => {
  const { t } = transport([ok({ value: [], "@odata.nextLink": "https://evil.example/users" })]);
  await expect(new GraphClient(t, BASE, () => "tok").users()).rejects.toThrow(/another host \(evil\.example\)/);
});

test.each([
  ["https:\\\\evil.example/users"],
  [" https://evil.example/users"],
  ["ht\ttps://evil.example/users"],
  ["http:evil.example/users"],
  [`${BASE.replace("https:", "http:")}/users?$skiptoken=2`],
  ["/v1.0/users?$skiptoken=2"],
])("the hostile nextLink %j is refused with one request made (issue #14 item 1)", async (link) => {
  const { t, calls } = transport([ok({ value: [], "@odata.nextLink": link })]);
  await expect(new GraphClient(t, BASE, () => "tok").users()).rejects.toThrow(/not sending the token there/);
  expect(calls).toHaveLength(1);
});

test("manager: 404 means none", async () => {
  const { t } = transport([{ status: 404, headers: {}, text: JSON.stringify({ error: { code: "Request_ResourceNotFound", message: "no manager" } }) }]);
  await expect(new GraphClient(t, BASE, () => "tok").manager()).resolves.toBeNull();
});

test("manager: limited information (only User.Read: id and type, no name) is 'unavailable' with the reason, never a nameless manager (issue #20 item 10)", async () => {
  const limited = { "@odata.type": "#microsoft.graph.user", id: "da0aea0e-aa72-470b-9d63-d2a5d1764460", displayName: null, userPrincipalName: null, mail: null, jobTitle: null };
  const { t } = transport([{ status: 200, headers: {}, text: JSON.stringify(limited) }]);
  const manager = await new GraphClient(t, BASE, () => "tok").manager();
  expect(manager).toBeInstanceOf(ManagerUnavailable);
  expect(manager).toMatchObject({ reason: expect.stringContaining("User.ReadBasic.All") });
  expect(formatProfileAndManager({ displayName: "Adele Vance" }, manager)).not.toMatch(/null|undefined/);
});

test("manager: 403 (no User.ReadBasic.All / User.Read.All) is 'unavailable' with the reason, not a failed command", async () => {
  const { t } = transport([{ status: 403, headers: {}, text: JSON.stringify({ error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." } }) }]);
  const manager = await new GraphClient(t, BASE, () => "tok").manager();
  expect(manager).toBeInstanceOf(ManagerUnavailable);
  expect(manager).toMatchObject({ status: 403, reason: expect.stringContaining("User.ReadBasic.All") });
  const text = formatProfileAndManager({ displayName: "Adele Vance" }, manager);
  expect(text).toMatch(/Profile\n\s+Display name\s+Adele Vance/);
  expect(text).toMatch(/Manager\n\s+unavailable: Microsoft Graph refused/);
});

test("429 is retried after Retry-After; 401 is GraphUnauthorized; 403 explains permissions", async () => {
  const { t, calls } = transport([{ status: 429, headers: { "retry-after": "0" }, text: "" }, ok({ displayName: "Me" })]);
  await expect(new GraphClient(t, BASE, () => "tok").me()).resolves.toEqual({ displayName: "Me" });
  expect(calls).toHaveLength(2);

  const unauthorized = transport([{ status: 401, headers: {}, text: JSON.stringify({ error: { code: "InvalidAuthenticationToken", message: "Expired" } }) }]);
  await expect(new GraphClient(unauthorized.t, BASE, () => "tok").me()).rejects.toBeInstanceOf(GraphUnauthorized);

  const forbidden = transport([{ status: 403, headers: { "request-id": "r-1" }, text: JSON.stringify({ error: { code: "Authorization_RequestDenied", message: "Insufficient privileges" } }) }]);
  await expect(new GraphClient(forbidden.t, BASE, () => "tok").users()).rejects.toThrow(/Authorization_RequestDenied.*request id r-1/);
});

test("a network failure becomes one explained line", async () => {
  const { t } = transport([new NetworkFailure("ECONNREFUSED", "graph.example")]);
  await expect(new GraphClient(t, BASE, () => "tok").me()).rejects.toThrow(/Cannot reach graph\.example \(ECONNREFUSED\)/);
});

test("output formatting", () => {
  const text = formatProfileAndManager({ displayName: "Adele Vance", userPrincipalName: "adele@contoso.test", jobTitle: null }, null);
  expect(text).toMatch(/Display name\s+Adele Vance/);
  expect(text).not.toMatch(/Job title/);
  expect(text).toMatch(/Manager\n {2}\(none/);
  expect(formatUsers([{ displayName: "Bad\u001b[31m", userPrincipalName: "b@c" }], 1)).toMatch(/Bad\?\[31m\s+b@c\n\n1 user \(1 page/);
  expect(mmss(845)).toBe("14:05");
  expect(mmss(-3)).toBe("0:00");
});
