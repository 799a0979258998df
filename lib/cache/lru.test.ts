import { LruCache } from "./lru";

describe("LruCache", () => {
  it("evicts the least recently used entry beyond the cap", () => {
    const lru = new LruCache<string, number>({ maxEntries: 3 });
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("c", 3);
    expect(lru.get("a")).toBe(1); // a is now the most recent
    lru.set("d", 4);
    expect(lru.has("b")).toBe(false);
    expect([lru.get("a"), lru.get("c"), lru.get("d")]).toEqual([1, 3, 4]);
    expect(lru.size).toBe(3);
    expect(lru.evictions).toBe(1);
  });

  it("expires entries by TTL and prefers evicting expired ones", () => {
    let now = 1_000;
    const lru = new LruCache<string, string>({ maxEntries: 2, now: () => now });
    lru.set("short", "s", 100);
    lru.set("long", "l", 10_000);
    now += 101;
    expect(lru.peek("short")).toBeUndefined();
    lru.set("new", "n", 10_000); // evicts the expired entry, not "long"
    expect(lru.get("long")).toBe("l");
    expect(lru.get("new")).toBe("n");
    expect(lru.evictions).toBe(0);
    expect(lru.expirations).toBe(1); // "short", dropped to make room
    now += 10_001;
    expect(lru.get("long")).toBeUndefined();
    expect(lru.expirations).toBe(2); // dropped when touched
  });

  it("peek does not refresh recency; set with ttl <= 0 deletes", () => {
    const lru = new LruCache<string, number>({ maxEntries: 2 });
    lru.set("a", 1);
    lru.set("b", 2);
    lru.peek("a");
    lru.set("c", 3);
    expect(lru.has("a")).toBe(false);
    lru.set("b", 9, 0);
    expect(lru.has("b")).toBe(false);
  });

  it("stays bounded under many inserts", () => {
    const lru = new LruCache<number, number>({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) lru.set(i, i);
    expect(lru.size).toBe(100);
    expect(lru.get(9_999)).toBe(9_999);
    expect(lru.get(0)).toBeUndefined();
  });

  it("rejects a non-positive cap", () => {
    expect(() => new LruCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
