import { prune } from "./partition-plugin";

describe("prune", () => {
  const now = Math.floor(Date.now() / 1000);
  const cache = (atExpiries: number[], withRt = true) =>
    JSON.stringify({
      Account: { a: {} },
      IdToken: { i: {} },
      AccessToken: Object.fromEntries(atExpiries.map((e, n) => [`at${n}`, { expires_on: String(e), secret: `tok${n}` }])),
      RefreshToken: withRt ? { r: { secret: "refresh" } } : {},
      AppMetadata: {},
    });

  it("drops expired access tokens and refresh tokens, reports the latest expiry", () => {
    const r = prune(cache([now - 10, now + 100, now + 3000]), true);
    expect(r?.maxExpiresOn).toBe(now + 3000);
    const parsed = JSON.parse(r?.json ?? "{}");
    expect(Object.keys(parsed.AccessToken)).toEqual(["at1", "at2"]);
    expect(parsed.RefreshToken).toEqual({});
    expect(r?.json).not.toContain("refresh");
  });

  it("returns undefined when nothing is left", () => {
    expect(prune(cache([now - 1]), true)).toBeUndefined();
  });

  it("keeps refresh tokens when asked (web app partitions)", () => {
    const r = prune(cache([now - 1]), false);
    expect(JSON.parse(r?.json ?? "{}").RefreshToken.r.secret).toBe("refresh");
  });
});
