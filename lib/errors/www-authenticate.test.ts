import {
  claimsFromChallenge,
  decodeBase64Text,
  encodeBase64Text,
  findChallenge,
  formatChallenge,
  formatWwwAuthenticate,
  parseWwwAuthenticate,
  quoteString,
} from "./www-authenticate";

describe("formatChallenge", () => {
  it("quotes every value and keeps parameter order", () => {
    expect(formatChallenge("Bearer", [["realm", ""], ["error", "invalid_token"], ["error_description", "The token has expired."]])).toBe(
      'Bearer realm="", error="invalid_token", error_description="The token has expired."',
    );
  });

  it("escapes backslash and double quote inside quoted-strings", () => {
    expect(quoteString('a "b" \\ c')).toBe('"a \\"b\\" \\\\ c"');
  });

  it("skips undefined values and emits a bare scheme without params", () => {
    expect(formatChallenge("Bearer", { realm: undefined })).toBe("Bearer");
    expect(formatChallenge("Bearer", { realm: "", error: undefined })).toBe('Bearer realm=""');
  });

  it("refuses header injection and invalid names", () => {
    expect(() => formatChallenge("Bearer", { error_description: "x\r\nSet-Cookie: a=b" })).toThrow(TypeError);
    expect(() => formatChallenge("Bearer", { "bad name": "x" })).toThrow(TypeError);
    expect(() => formatChallenge("Bad Scheme", {})).toThrow(TypeError);
    expect(() => formatChallenge("Bearer", { x: "snowman \u2603" })).toThrow(TypeError);
  });
});

describe("parseWwwAuthenticate", () => {
  it("reads the Entra claims challenge, whose values contain = and ,", () => {
    const claims = '{"access_token":{"acrs":{"essential":true,"value":"c1"},"nbf":{"essential":true,"value":"1604106651"}}}';
    const header = formatChallenge("Bearer", [
      ["realm", ""],
      ["authorization_uri", "https://login.microsoftonline.com/common/oauth2/authorize"],
      ["error", "insufficient_claims"],
      ["claims", encodeBase64Text(claims)],
    ]);
    expect(encodeBase64Text(claims)).toMatch(/=$/); // the case naive splitting gets wrong
    const [c] = parseWwwAuthenticate(header);
    expect(c?.scheme).toBe("Bearer");
    expect(c?.params).toEqual({
      realm: "",
      authorization_uri: "https://login.microsoftonline.com/common/oauth2/authorize",
      error: "insufficient_claims",
      claims: encodeBase64Text(claims),
    });
    expect(claimsFromChallenge(header)).toBe(claims);
  });

  it("round-trips arbitrary quotable values", () => {
    const values = ['a,b=c', 'quote " inside', "back\\slash", "", "  spaces  ", 'x", error="forged'];
    for (const v of values) {
      const parsed = parseWwwAuthenticate(formatChallenge("Bearer", [["realm", "r"], ["error_description", v], ["error", "invalid_token"]]));
      expect(parsed).toHaveLength(1);
      expect(parsed[0]?.params.error_description).toBe(v);
      expect(parsed[0]?.params.error).toBe("invalid_token");
    }
  });

  it("splits several challenges, including token68 and unquoted token values", () => {
    const parsed = parseWwwAuthenticate('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple", Negotiate abc+/9==, Bearer');
    expect(parsed.map((c) => c.scheme)).toEqual(["Newauth", "Basic", "Negotiate", "Bearer"]);
    expect(parsed[0]?.params).toEqual({ realm: "apps", type: "1", title: 'Login to "apps"' });
    expect(parsed[1]?.params).toEqual({ realm: "simple" });
    expect(parsed[2]?.token68).toBe("abc+/9==");
    expect(parsed[3]?.params).toEqual({});
  });

  it("treats parameter names case-insensitively, tolerates BWS and empty list elements", () => {
    const parsed = parseWwwAuthenticate(' ,Bearer  Realm = "x" ,, ERROR="invalid_token" ,');
    expect(parsed).toEqual([{ scheme: "Bearer", params: { realm: "x", error: "invalid_token" } }]);
  });

  it("keeps the first occurrence of a repeated parameter", () => {
    expect(parseWwwAuthenticate('Bearer error="a", error="b"')[0]?.params.error).toBe("a");
  });

  it("rejects an unterminated quoted-string and a parameter without a value", () => {
    expect(() => parseWwwAuthenticate('Bearer error="invalid_token')).toThrow(SyntaxError);
    expect(() => parseWwwAuthenticate('Bearer realm="x", error=')).toThrow(SyntaxError);
    // a lone `name=` is valid token68, not a parameter
    expect(parseWwwAuthenticate("Bearer error=")[0]?.token68).toBe("error=");
  });

  it("finds a challenge by scheme and serializes several", () => {
    const header = formatWwwAuthenticate([
      { scheme: "Basic", params: { realm: "a" } },
      { scheme: "Bearer", params: { realm: "", error: "insufficient_scope", scope: "api://x/access_as_user" } },
    ]);
    expect(findChallenge(header, "bearer")?.params.scope).toBe("api://x/access_as_user");
    expect(findChallenge(null)).toBeUndefined();
  });
});

describe("base64 text helpers", () => {
  it("round-trips UTF-8 and accepts url-safe input without padding", () => {
    const text = '{"name":"Zoë ✓"}';
    const b64 = encodeBase64Text(text);
    expect(decodeBase64Text(b64)).toBe(text);
    expect(decodeBase64Text(b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""))).toBe(text);
  });

  it("claimsFromChallenge ignores other errors", () => {
    expect(claimsFromChallenge('Bearer error="invalid_token", claims="e30="')).toBeUndefined();
    expect(claimsFromChallenge('Bearer error="insufficient_claims", claims="e30="')).toBe("{}");
  });
});
