import { sealData } from "iron-session";
import type { AppConfig } from "@/lib/config";
import { openRouteSession, readSession, sessionCookieName } from "./session";
import type { WebSessionData } from "./types";

const config: Pick<AppConfig, "session"> = { session: { password: "p".repeat(40), maxAgeSeconds: 8 * 3600 } };
const user = { homeAccountId: "oid.tid", name: "Megan Bowen", username: "megan@contoso.test", tenantId: "tid", signedInAt: 1 };

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
  const rs = await openRouteSession(requestWith(), config, { secure });
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
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false });
    expect(rs.discarded).toBe(false);
    expect(rs.session.user).toEqual(user);
  });

  it("is HttpOnly, SameSite=Lax, Path=/ and bounded; Secure and __Host- prefixed only over https", async () => {
    const http = await openRouteSession(requestWith(), config, { secure: false });
    http.session.user = user;
    await http.save();
    const plain = setCookieOf(http.applyTo(new Response(null)));
    expect(plain.pair.startsWith("web-session=")).toBe(true);
    expect(plain.attrs).toEqual(expect.arrayContaining(["HttpOnly", "SameSite=Lax", "Path=/", `Max-Age=${8 * 3600 - 60}`]));
    expect(plain.attrs).not.toContain("Secure");

    const https = await openRouteSession(requestWith(), config, { secure: true });
    https.session.user = user;
    await https.save();
    const secure = setCookieOf(https.applyTo(new Response(null)));
    expect(secure.pair.startsWith("__Host-web-session=")).toBe(true);
    expect(secure.attrs).toEqual(expect.arrayContaining(["HttpOnly", "Secure", "SameSite=Lax", "Path=/"]));
    expect(secure.attrs.some((a) => a.toLowerCase().startsWith("domain="))).toBe(false);
  });

  it("lives 15 minutes while it only holds a login in progress", async () => {
    const rs = await openRouteSession(requestWith(), config, { secure: false });
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
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false });
    expect(rs.session.user).toBeUndefined();
    const res = rs.applyTo(new Response(null));
    const cleared = setCookieOf(res);
    expect(cleared.pair).toBe("web-session=");
    expect(cleared.attrs).toContain("Max-Age=0");
    // and a Server Component reads it as signed out, without throwing
    const value = cookie.slice(cookie.indexOf("=") + 1);
    await expect(readSession({ get: () => ({ name: "web-session", value }) }, config, { secure: false })).resolves.toEqual({});
  });

  it("rejects well-sealed data of the wrong shape", async () => {
    const seal = await sealData({ user: { homeAccountId: 42 } }, { password: config.session.password });
    const rs = await openRouteSession(requestWith(`web-session=${seal}`), config, { secure: false });
    expect(rs.discarded).toBe(true);
    expect(rs.session.user).toBeUndefined();
  });

  it("treats an expired session as signed out", async () => {
    const cookie = await signedInCookie();
    const later = Date.now() + (8 * 3600 + 120) * 1000;
    jest.spyOn(Date, "now").mockReturnValue(later);
    const rs = await openRouteSession(requestWith(cookie), config, { secure: false });
    expect(rs.session.user).toBeUndefined();
    const value = cookie.slice(cookie.indexOf("=") + 1);
    await expect(readSession({ get: () => ({ name: "web-session", value }) }, config, { secure: false })).resolves.toEqual({});
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
    );
    expect(seen).toEqual(["__Host-web-session"]);
    expect(data.user).toEqual(user);
  });
});
