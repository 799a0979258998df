import { parseConfig } from "@/lib/config";
import type { LoginTransaction } from "@/lib/session";
import { requireWebConfig } from "./client";
import { allowedClaims, allowedPrompt, allowedScopes, findLogin, isExpired, prunePendingLogins, signInPath } from "./flow";

const config = requireWebConfig(
  parseConfig({
    AZURE_TENANT_ID: "11111111-2222-4333-8444-555555555555",
    AZURE_SPA_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000001",
    AZURE_API_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000002",
    AZURE_API_CLIENT_SECRET: "secret",
    AZURE_WEB_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000003",
    AZURE_WEB_CLIENT_SECRET: "secret",
    GRAPH_SCOPES: "https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read",
    SESSION_PASSWORD: "x".repeat(32),
  }),
);

const tx = (state: string, createdAt: number, extra: Partial<LoginTransaction> = {}): LoginTransaction => ({
  state,
  codeVerifier: "v".repeat(43),
  nonce: "n".repeat(43),
  returnTo: "/web",
  scopes: ["https://graph.microsoft.com/User.Read"],
  createdAt,
  ...extra,
});

describe("login request parameters", () => {
  it("keeps only configured Graph scopes (incremental consent), case-insensitively, without duplicates", () => {
    expect(allowedScopes("https://graph.microsoft.com/mail.read https://graph.microsoft.com/Mail.Read,https://evil/x Directory.ReadWrite.All", config)).toEqual([
      "https://graph.microsoft.com/Mail.Read",
    ]);
    expect(allowedScopes(null, config)).toEqual([]);
  });

  it("passes through only login, select_account and consent prompts", () => {
    expect(allowedPrompt("login")).toBe("login");
    expect(allowedPrompt("select_account")).toBe("select_account");
    expect(allowedPrompt("consent")).toBe("consent");
    for (const p of ["none", "create", "LOGIN", "", null]) expect(allowedPrompt(p)).toBeUndefined();
  });

  it("accepts a claims challenge only as a small JSON object", () => {
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}';
    expect(allowedClaims(claims)).toBe(claims);
    for (const bad of ["[1]", "null", "not json", `{"a":"${"x".repeat(2000)}"}`, null]) expect(allowedClaims(bad)).toBeUndefined();
  });

  it("builds the sign-in path a page redirects to", () => {
    expect(signInPath({ returnTo: "/web", scopes: ["https://graph.microsoft.com/User.Read"], claims: '{"a":1}' })).toBe(
      "/auth/login?returnTo=%2Fweb&scopes=https%3A%2F%2Fgraph.microsoft.com%2FUser.Read&claims=%7B%22a%22%3A1%7D",
    );
  });
});

describe("pending login transactions", () => {
  const now = 1_800_000_000_000;

  it("finds a transaction by state and nothing for a near miss", () => {
    const list = [tx("state-one", now), tx("state-two", now)];
    expect(findLogin(list, "state-two")).toBe(list[1]);
    expect(findLogin(list, "state-tw")).toBeUndefined();
    expect(findLogin(list, "")).toBeUndefined();
  });

  it("expires after 10 minutes (and refuses a creation time in the future)", () => {
    expect(isExpired(tx("s", now - 9 * 60_000), now)).toBe(false);
    expect(isExpired(tx("s", now - 10 * 60_000), now)).toBe(true);
    expect(isExpired(tx("s", now + 5 * 60_000), now)).toBe(true);
  });

  it("keeps the newest three unexpired ones, and stays small enough for a cookie", () => {
    const list = [tx("a", now - 11 * 60_000), tx("b", now - 3), tx("c", now - 2), tx("d", now - 1), tx("e", now)];
    expect(prunePendingLogins(list, now).map((t) => t.state)).toEqual(["c", "d", "e"]);
    const big = [1, 2, 3].map((i) => tx(`s${i}`, now, { claims: `{"x":"${"y".repeat(900)}"}` }));
    const kept = prunePendingLogins(big, now);
    expect(kept.map((t) => t.state)).toEqual(["s3"]);
  });
});
