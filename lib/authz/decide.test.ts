import type { Caller } from "@/lib/auth";
import { ApiError, bearerChallengeHeader, decodeBase64Text, parseWwwAuthenticate } from "@/lib/errors";
import { authorize, withViewAuthContext, type AuthorizeInput } from "./decide";

const GROUP = "1d671a2b-6116-4dbe-b7c8-75b9ab0f1b22";
const OTHER = "7aecbc7b-1023-441d-9a1a-3b12f43441ea";
const URI = "https://login.microsoftonline.com/tid/oauth2/v2.0/authorize";

function caller(claims: Partial<Pick<Caller, "roles" | "groups" | "groupClaims" | "authContexts">> = {}): Caller {
  return { oid: "o", tid: "t", sub: "s", scopes: ["access_as_user"], clientCapabilities: [], roles: [], groups: [], groupClaims: "absent", authContexts: [], expiresAt: 0, assertion: "x", ...claims };
}

/** A membership lookup that records what it was asked and answers `members` (or fails). */
function lookup(members: string[] | Error) {
  const asked: (readonly string[])[] = [];
  const memberOf = async (ids: readonly string[]) => {
    asked.push(ids);
    if (members instanceof Error) throw members;
    return new Set(members);
  };
  return { asked, memberOf };
}

function input(over: Partial<AuthorizeInput> & { memberOf?: AuthorizeInput["memberOf"] }): AuthorizeInput {
  return {
    caller: caller(),
    view: "directory",
    policy: { role: "Directory.Read", groupIds: [GROUP], authContext: undefined },
    rolesEnforced: true,
    authorizationUri: URI,
    memberOf: async () => new Set(),
    ...over,
  };
}

async function outcome(p: Promise<void>): Promise<string> {
  try {
    await p;
    return "allowed";
  } catch (e) {
    if (e instanceof ApiError) return `${e.status} ${e.code}`;
    throw e;
  }
}

describe("authorize (lib/authz)", () => {
  it("lets the role through from the token alone, without asking Graph", async () => {
    const g = lookup(new Error("must not be called"));
    expect(await outcome(authorize(input({ caller: caller({ roles: ["Directory.Read"], groupClaims: "overage" }), memberOf: g.memberOf })))).toBe("allowed");
    expect(g.asked).toEqual([]);
  });

  it("refuses a caller without the role or a group with 403 role_required naming the role and the admin to ask", async () => {
    const refused = authorize(input({ caller: caller({ roles: ["Subscriptions.Read"], groupClaims: "listed", groups: [OTHER] }) }));
    await expect(refused).rejects.toMatchObject({ status: 403, code: "role_required", requiredRole: "Directory.Read", view: "directory" });
    await expect(refused).rejects.toMatchObject({ detail: expect.stringMatching(/Ask an administrator of your organization to assign you Directory\.Read .*or to add you to a group that grants this view/) });
    const noGroups = authorize(input({ view: "subscriptions", policy: { role: "Subscriptions.Read", groupIds: [], authContext: undefined } }));
    await expect(noGroups).rejects.toMatchObject({ code: "role_required", detail: expect.not.stringContaining("add you to a group") });
  });

  it("trusts a listed groups claim (no Graph call); asks Graph on an overage or when the token says nothing about groups", async () => {
    const listed = lookup(new Error("must not be called"));
    expect(await outcome(authorize(input({ caller: caller({ groupClaims: "listed", groups: [GROUP] }), memberOf: listed.memberOf })))).toBe("allowed");
    expect(await outcome(authorize(input({ caller: caller({ groupClaims: "listed", groups: [OTHER] }), memberOf: listed.memberOf })))).toBe("403 role_required");
    expect(listed.asked).toEqual([]);

    const overage = lookup([GROUP]);
    expect(await outcome(authorize(input({ caller: caller({ groupClaims: "overage" }), memberOf: overage.memberOf })))).toBe("allowed");
    expect(overage.asked).toEqual([[GROUP]]);
    const absent = lookup([]);
    expect(await outcome(authorize(input({ caller: caller({ groupClaims: "absent" }), memberOf: absent.memberOf })))).toBe("403 role_required");
    expect(absent.asked).toEqual([[GROUP]]);
  });

  it("grants nothing when Graph cannot answer: the lookup's error (503) is the answer", async () => {
    const down = lookup(new ApiError({ status: 503, code: "downstream_unavailable", title: "t", detail: "d", retryAfterSeconds: 5 }));
    await expect(authorize(input({ caller: caller({ groupClaims: "overage" }), memberOf: down.memberOf }))).rejects.toMatchObject({ status: 503, retryAfterSeconds: 5 });
  });

  it("challenges a caller without the view's authentication context: 401 insufficient_claims with the acrs claims request", async () => {
    const policy = { role: "Subscriptions.Read", groupIds: [], authContext: "c1" };
    const allowedRole = caller({ roles: ["Subscriptions.Read"] });
    const challenge = await authorize(input({ view: "subscriptions", policy, caller: allowedRole })).catch((e: unknown) => e as ApiError);
    expect(challenge).toMatchObject({ status: 401, code: "insufficient_claims", claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}' });
    const header = bearerChallengeHeader((challenge as ApiError).challenge!);
    const params = parseWwwAuthenticate(header)[0]!.params;
    expect(params.error).toBe("insufficient_claims");
    expect(params.authorization_uri).toBe(URI);
    expect(JSON.parse(decodeBase64Text(params.claims!))).toEqual({ access_token: { acrs: { essential: true, value: "c1" } } });
    expect(await outcome(authorize(input({ view: "subscriptions", policy, caller: caller({ roles: ["Subscriptions.Read"], authContexts: ["c1"] }) })))).toBe("allowed");
    // the role comes first: stepping up cannot help someone who lacks it
    expect(await outcome(authorize(input({ view: "subscriptions", policy })))).toBe("403 role_required");
  });

  it("with roles not enforced, lets every caller through the role check (the authentication context still applies)", async () => {
    const g = lookup(new Error("must not be called"));
    expect(await outcome(authorize(input({ rolesEnforced: false, memberOf: g.memberOf })))).toBe("allowed");
    expect(await outcome(authorize(input({ rolesEnforced: false, policy: { role: "Directory.Read", groupIds: [], authContext: "c2" } })))).toBe("401 insufficient_claims");
  });
});

describe("withViewAuthContext", () => {
  it("adds the view's authentication context to a downstream claims challenge, so one step-up satisfies both", () => {
    const cae = '{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}';
    const downstream = new ApiError({ status: 401, code: "insufficient_claims", title: "t", detail: "d", claims: cae, challenge: { error: "insufficient_claims", params: [["authorization_uri", URI], ["claims", "x"]] } });
    const merged = withViewAuthContext(downstream, "c1") as ApiError;
    expect(JSON.parse(merged.claims!)).toEqual({ access_token: { nbf: { essential: true, value: "1700000000" }, acrs: { essential: true, value: "c1" } } });
    const params = parseWwwAuthenticate(bearerChallengeHeader(merged.challenge!))[0]!.params;
    expect(JSON.parse(decodeBase64Text(params.claims!))).toEqual(JSON.parse(merged.claims!));
    expect(params.authorization_uri).toBe(URI);
    // nothing to add, or nothing to add to: unchanged
    expect(withViewAuthContext(downstream, undefined)).toBe(downstream);
    const other = new ApiError({ status: 503, code: "downstream_unavailable", title: "t", detail: "d" });
    expect(withViewAuthContext(other, "c1")).toBe(other);
  });
});
