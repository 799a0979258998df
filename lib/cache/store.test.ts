import { isStoreUnavailable, StoreUnavailableError } from "./store";

describe("isStoreUnavailable", () => {
  it("recognises the error from another bundle's copy of the class (Next.js bundles pages and route handlers apart), nothing else", () => {
    // what a Server Component catches when the shared store was created by a route handler's bundle
    class OtherBundlesStoreUnavailableError extends Error {
      readonly code = "store_unavailable";
      constructor() {
        super("the shared store (Redis) is unreachable");
        this.name = "StoreUnavailableError";
      }
    }
    const foreign = new OtherBundlesStoreUnavailableError();
    expect(foreign instanceof StoreUnavailableError).toBe(false);
    expect(isStoreUnavailable(foreign)).toBe(true);
    expect(isStoreUnavailable(new StoreUnavailableError())).toBe(true);
    expect(isStoreUnavailable(new Error("the shared store (Redis) is unreachable"))).toBe(false);
    expect(isStoreUnavailable(Object.assign(new Error("x"), { code: "store_unavailable" }))).toBe(false);
    expect(isStoreUnavailable({ name: "StoreUnavailableError", code: "store_unavailable" })).toBe(false);
  });
});
