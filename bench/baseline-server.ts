/**
 * The bare baseline: a plain Node HTTP server that makes the SAME downstream calls as the app's
 * routes, with one fixed token per API (no verification, no On-Behalf-Of, no framework):
 *
 *   GET /me             Graph /me and /me/manager in parallel (404 manager = null), fields picked
 *   GET /subscriptions  ARM /subscriptions, every nextLink page followed
 *
 * Same HTTP client as the app (its transport, lib/downstream/transport.ts: node:https with one
 * keep-alive agent), same per-call timeout, same JSON work; started with
 * `--conditions=react-server` because that module is server-only. Environment: PORT,
 * GRAPH_BASE_URL, ARM_BASE_URL, BASELINE_GRAPH_TOKEN, BASELINE_ARM_TOKEN (and
 * NODE_EXTRA_CA_CERTS for the emulator's CA).
 */
import http from "node:http";
import { nodeTransport } from "../lib/downstream/transport";

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const port = Number(env("PORT"));
const graphBase = env("GRAPH_BASE_URL").replace(/\/+$/, "");
const armBase = env("ARM_BASE_URL").replace(/\/+$/, "");
const graphToken = env("BASELINE_GRAPH_TOKEN");
const armToken = env("BASELINE_ARM_TOKEN");

const PROFILE_FIELDS = ["id", "displayName", "givenName", "surname", "userPrincipalName", "mail", "jobTitle", "officeLocation", "mobilePhone", "businessPhones", "preferredLanguage"];
const MANAGER_FIELDS = ["id", "displayName", "userPrincipalName", "mail", "jobTitle"];

function pick(user: Record<string, unknown> | undefined, fields: string[]): Record<string, unknown> | null {
  if (!user) return null;
  return Object.fromEntries(fields.filter((f) => user[f] !== undefined).map((f) => [f, user[f]]));
}

async function get(url: string, token: string, allow404 = false): Promise<Record<string, unknown> | undefined> {
  const res = await nodeTransport(new URL(url), { headers: { authorization: `Bearer ${token}`, accept: "application/json" }, timeoutMs: 10_000 });
  if (allow404 && res.status === 404) {
    res.discard();
    return undefined;
  }
  if (res.status < 200 || res.status > 299) {
    res.discard();
    throw new Error(`downstream answered ${res.status}`);
  }
  return JSON.parse(await res.text()) as Record<string, unknown>;
}

async function me(): Promise<unknown> {
  const [profile, manager] = await Promise.all([get(`${graphBase}/me`, graphToken), get(`${graphBase}/me/manager`, graphToken, true)]);
  return { profile: pick(profile, PROFILE_FIELDS), manager: pick(manager, MANAGER_FIELDS) };
}

async function subscriptions(): Promise<unknown> {
  const items: Record<string, unknown>[] = [];
  let next: string | undefined = `${armBase}/subscriptions?api-version=2022-12-01`;
  let pages = 0;
  while (next && pages < 20) {
    pages++;
    const body: Record<string, unknown> | undefined = await get(next, armToken);
    items.push(...((body?.value as Record<string, unknown>[] | undefined) ?? []));
    next = typeof body?.nextLink === "string" ? body.nextLink : undefined;
  }
  return {
    value: items.map((s) => ({ id: s.id, subscriptionId: s.subscriptionId, displayName: s.displayName, state: s.state, tenantId: s.tenantId })),
    pages,
    truncated: false,
  };
}

const server = http.createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0];
  const handler = path === "/me" ? me : path === "/subscriptions" ? subscriptions : path === "/health" ? async () => ({ status: "ok" }) : undefined;
  if (!handler) {
    res.writeHead(404).end();
    return;
  }
  handler().then(
    (body) => {
      res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
      res.end(JSON.stringify(body));
    },
    (e: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(e instanceof Error ? e.message : "error");
    },
  );
});
server.keepAliveTimeout = 5_000;
server.listen(port, "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
