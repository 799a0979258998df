import { ExpiringSet } from "./expiring-set";

describe("ExpiringSet", () => {
  it("keeps every entry until it expires, and refuses an add beyond its cap instead of dropping one", () => {
    let now = 1_000;
    const set = new ExpiringSet({ maxEntries: 2, now: () => now });
    expect(set.add("a", 100)).toBe(true);
    expect(set.add("b", 100)).toBe(true);
    expect(set.add("c", 100)).toBe(false);
    expect([set.has("a"), set.has("b"), set.has("c")]).toEqual([true, true, false]);
    expect(set.add("a", 200)).toBe(true); // an existing key is renewed, not refused
    now += 101;
    expect(set.has("b")).toBe(false);
    expect(set.add("c", 100)).toBe(true); // room again once b expired
    expect(set.entries().map(([k]) => k)).toEqual(["a", "c"]);
  });

  it("has no cap unless given one", () => {
    const set = new ExpiringSet();
    for (let i = 0; i < 50_000; i++) expect(set.add(`k${i}`, 60_000)).toBe(true);
    expect(set.size).toBe(50_000);
    expect(set.has("k0")).toBe(true);
  });
});
