import { sealData } from "iron-session";
import { MemoryStore, StoreUnavailableError, type SharedRecords } from "@/lib/cache";
import type { AppConfig } from "@/lib/config";
import { SessionRevocations } from "./revocation";
import { newSessionId, openRouteSession, readSession, sessionCookieName } from "./session";
import type { SessionUser, WebSessionData } from "./types";

const config: Pick<AppConfig, "session"> = { session: { password: "p".repeat(40), maxAgeSeconds: 8 * 3600 } };
const user: SessionUser = {
  homeAccountId: "oid.tid",
  name: "Megan Bowen",
  username: "megan@contoso.test",
  tenantId: "tid",
  signedInAt: 1,
  sessionId: newSessionId(),
  idpSessionId: "8e0e0e2e-idp-session",
};
let revocations = new SessionRevocations(new MemoryStore({ maxEntries: 10 }), config.session.maxAgeSeconds);
const check = () => ({ revocations });
beforeEach(() => {
  revocations = new SessionRevocations(new MemoryStore({ maxEntries: 10 }), config.session.maxAgeSeconds);
});

function requestWith(cookie?: string): Request {
  return new Request("http://localhost:3100/web", { headers: cookie ? { cookie } : {} });
}

/** The cookie a response sets, as `name=value`, and its attributes. */
function setCookieOf(res: Response): { pair: string; attrs: string[] } {
  const [first] = res.headers.getSetCookie();
  if (!first) throw new Error("no Set-Cookie");
  const [pair, ...attrs] = first.split(";").map((s) => s.trim());
  return { pair: pair ?? "", attrs };
}

async function signedInCookie(secure = false): Promise<string> {
  const rs = await openRouteSession(requestWith(), config, { secure }, check());
  rs.session.user = user;
  await rs.save();
  return setCookieOf(rs.applyTo(new Response(null))).pair;
}

afterEach(() => jest.restoreAllMocks());

describe("session cookie", () => {
  it("round-trips who is signed in, encrypted (the value reveals nothing)", async () => {
    const cookie = await signedInCookie();
    expect(cookie.startsWith("web-session=Fe26.2*")).toBe(true);
    expect(cookie).not.toContain("megan");
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false }, check());
    expect(rs.discarded).toBe(false);
    expect(rs.session.user).toEqual(user);
  });

  it("is HttpOnly, SameSite=Lax, Path=/ and bounded; Secure and __Host- prefixed only over https", async () => {
    const http = await openRouteSession(requestWith(), config, { secure: false }, check());
    http.session.user = user;
    await http.save();
    const plain = setCookieOf(http.applyTo(new Response(null)));
    expect(plain.pair.startsWith("web-session=")).toBe(true);
    expect(plain.attrs).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Lax", "Path=/", `Max-Age=${8 * 3600 - 60}`]));
    expect(plain.attrs).not.toContain("Secure");

    const https = await openRouteSession(requestWith(), config, { secure: true }, check());
    https.session.user = user;
    await https.save();
    const secure = setCookieOf(https.applyTo(new Response(null)));
    expect(secure.pair.startsWith("__Host-web-session=")).toBe(true);
    expect(secure.attrs).toEqual(expect.arrayContaining(["HttpOnly", "Secure", "SameSite=Lax", "Path=/"]));
    expect(secure.attrs.some((a) => a.toLowerCase().startsWith("domain="))).toBe(false);
  });

  it("lives 15 minutes while it only holds a login in progress", async () => {
    const rs = await openRouteSession(requestWith(), config, { secure: false }, check());
    rs.session.logins = [{ state: "s", codeVerifier: "v", nonce: "n", returnTo: "/web", scopes: ["User.Read"], createdAt: Date.now() }];
    await rs.save();
    expect(setCookieOf(rs.applyTo(new Response(null))).attrs).toContain(`Max-Age=${15 * 60 - 60}`);
  });

  it.each([
    ["a flipped character in the seal", (c: string) => c.slice(0, -10) + (c.at(-10) === "A" ? "B" : "A") + c.slice(-9)],
    ["a truncated seal", (c: string) => c.slice(0, c.length / 2)],
    ["a wrong prefix", (c: string) => c.replace("Fe26.2", "Fe26.1")],
    ["garbage", () => "web-session=not-a-seal"],
    ["another password's seal", () => ""],
  ])("treats a tampered cookie (%s) as signed out and deletes it", async (_label, tamper) => {
    let cookie = tamper(await signedInCookie());
    if (cookie === "") cookie = `web-session=${await sealData({ user }, { password: "q".repeat(40) })}`;
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false }, check());
    expect(rs.session.user).toBeUndefined();
    const res = rs.applyTo(new Response(null));
    const cleared = setCookieOf(res);
    expect(cleared.pair).toBe("web-session=");
    expect(cleared.attrs).toContain("Max-Age=0");
    // and a Server Component reads it as signed out, without throwing
    const value = cookie.slice(cookie.indexOf("=") + 1);
    await expect(readSession({ get: () => ({ name: "web-session", value }) }, config, { secure: false }, revocations)).resolves.toEqual({});
  });

  it("rejects well-sealed data of the wrong shape", async () => {
    const seal = await sealData({ user: { homeAccountId: 42 } }, { password: config.session.password });
    const rs = await openRouteSession(requestWith(`web-session=${seal}`), config, { secure: false }, check());
    expect(rs.discarded).toBe(true);
    expect(rs.session.user).toBeUndefined();
  });

  it("treats an expired session as signed out", async () => {
    const cookie = await signedInCookie();
    const later = Date.now() + (8 * 3600 + 120) * 1000;
    const clock = jest.spyOn(Date, "now").mockReturnValue(later);
    try {
      const rs = await openRouteSession(requestWith(cookie), config, { secure: false }, check());
      expect(rs.session.user).toBeUndefined();
      const value = cookie.slice(cookie.indexOf("=") + 1);
      await expect(readSession({ get: () => ({ name: "web-session", value }) }, config, { secure: false }, revocations)).resolves.toEqual({});
    } finally {
      clock.mockRestore();
    }
  });

  it("reads the session for a Server Component without being able to write", async () => {
    const cookie = await signedInCookie(true);
    const value = cookie.slice(cookie.indexOf("=") + 1);
    const seen: string[] = [];
    const data: WebSessionData = await readSession(
      {
        get: (name) => {
          seen.push(name);
          return name === sessionCookieName(true) ? { name, value } : undefined;
        },
      },
      config,
      { secure: true },
      revocations,
    );
    expect(seen).toEqual(["__Host-web-session"]);
    expect(data.user).toEqual(user);
  });
});

describe("session revocation", () => {
  const seal = async (data: WebSessionData) => `web-session=${await sealData(data, { password: config.session.password, ttl: 3600 })}`;
  const value = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);
  const pageRead = (cookie: string) => readSession({ get: (name) => (name === "web-session" ? { name, value: value(cookie) } : undefined) }, config, { secure: false }, revocations);

  it("a new session id is 256 random bits, base64url", () => {
    const ids = new Set(Array.from({ length: 100 }, () => newSessionId()));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses a revoked session in route handlers (cookie rewritten, logins in progress kept) and in pages", async () => {
    const login = { state: "s", codeVerifier: "v", nonce: "n", returnTo: "/web", scopes: ["User.Read"], createdAt: Date.now() };
    const cookie = await seal({ user, logins: [login] });
    expect((await openRouteSession(requestWith(cookie), config, { secure: false }, check())).session.user).toEqual(user);
    expect((await pageRead(cookie)).user).toEqual(user);

    await revocations.revokeSession(user.sessionId);
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false }, check());
    expect(rs.session.user).toBeUndefined();
    expect(rs.revokedUser).toEqual(user);
    expect(rs.session.logins).toEqual([login]);
    expect(setCookieOf(rs.applyTo(new Response(null))).attrs).toContain(`Max-Age=${15 * 60 - 60}`);
    expect(await pageRead(cookie)).toEqual({ logins: [login] });
    // sign-out's own read still sees who it is signing out
    expect((await openRouteSession(requestWith(cookie), config, { secure: false }, { signingOut: true })).session.user).toEqual(user);
  });

  it("refuses every session established under an identity-provider session that signed out (front-channel logout)", async () => {
    const other = { ...user, sessionId: newSessionId() };
    const unrelated = { ...user, sessionId: newSessionId(), idpSessionId: "another-idp-session" };
    await revocations.rememberIdpSession("8e0e0e2e-idp-session");
    expect(await revocations.revokeIdpSession("8e0e0e2e-idp-session")).toBe("stored");
    for (const u of [user, other]) expect((await pageRead(await seal({ user: u }))).user).toBeUndefined();
    expect((await pageRead(await seal({ user: unrelated }))).user).toEqual(unrelated);
    // a session whose identity provider sent no sid is checked by its own id only
    const withoutSid: SessionUser = { ...user, sessionId: newSessionId() };
    delete withoutSid.idpSessionId;
    expect((await pageRead(await seal({ user: withoutSid }))).user).toBeDefined();
  });

  it("writes nothing for an identity-provider session no sign-in here was established under (guessed ids fill no store)", async () => {
    const store = new MemoryStore({ maxEntries: 10 });
    const marked = jest.spyOn(store, "markShared");
    revocations = new SessionRevocations(store, 60);
    expect(await revocations.revokeIdpSession("guessed")).toBe("unknown");
    expect(marked).not.toHaveBeenCalled();
  });

  it("drops a revoked session's cookie entirely when nothing else is in it", async () => {
    const cookie = await seal({ user });
    await revocations.revokeSession(user.sessionId);
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false }, check());
    const cleared = setCookieOf(rs.applyTo(new Response(null)));
    expect(cleared.pair).toBe("web-session=");
    expect(cleared.attrs).toContain("Max-Age=0");
  });

  it("fails closed when the revocation records cannot be read; sign-out's read still works", async () => {
    const down: SharedRecords = {
      hasAnyShared: () => Promise.reject(new StoreUnavailableError()),
      hasAnyWrittenHere: () => false,
      markShared: () => Promise.resolve("deferred"),
      markSharedBounded: () => Promise.resolve("deferred"),
    };
    revocations = new SessionRevocations(down, 60);
    const cookie = await seal({ user });
    await expect(openRouteSession(requestWith(cookie), config, { secure: false }, check())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(pageRead(cookie)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect((await openRouteSession(requestWith(cookie), config, { secure: false }, { signingOut: true })).session.user).toEqual(user);
    // nobody signed in: nothing to check, nothing to fail
    expect((await openRouteSession(requestWith(), config, { secure: false }, check())).session.user).toBeUndefined();
  });

  it("treats a seal from before session ids (no sessionId) as no session", async () => {
    const legacy: Partial<SessionUser> = { ...user };
    delete legacy.sessionId;
    const rs = await openRouteSession(requestWith(await seal({ user: legacy as SessionUser })), config, { secure: false }, check());
    expect(rs.discarded).toBe(true);
    expect(rs.session.user).toBeUndefined();
  });
});
