import { AuthError, InteractionRequiredAuthError, ServerError } from "@azure/msal-node";
import { ConfigError } from "../lib/config/errors";
import { aadstsCode, CliError, EXIT, explain, explainNetwork, firstLine } from "./errors";

const entra = (code: string, text: string) =>
  `AADSTS${code}: ${text} Trace ID: 0b1c Correlation ID: 5f3e Timestamp: 2025-01-01 00:00:00Z`;

describe("explain", () => {
  test.each([
    ["50076", "mfa_required", /multi-factor.*device-code/],
    ["50079", "mfa_required", /multi-factor/],
    ["65001", "consent_required", /consent/],
    ["50126", "invalid_credentials", /wrong username or password/],
    ["50034", "unknown_user", /does not exist/],
    ["7000218", "not_public_client", /public client flows/],
  ])("AADSTS%s from a ServerError -> %s", (code, expected, text) => {
    const err = explain(new ServerError("invalid_grant", "corr-1", entra(code, "Something."), "", code));
    expect(err.code).toBe(expected);
    expect(err.message).toMatch(text);
    expect(err.message.split("\n")).toHaveLength(1);
    expect(err.exitCode).toBe(EXIT.failed);
    expect(err.correlationId).toBe("corr-1");
  });

  test("an InteractionRequiredAuthError carrying AADSTS50076 in its description is explained as MFA", () => {
    const err = explain(new InteractionRequiredAuthError("invalid_grant", "corr", entra("50076", "Due to a configuration change..."), "basic_action"));
    expect(err.code).toBe("mfa_required");
  });

  test.each([
    ["authorization_declined", "authorization_declined", /declined/],
    ["expired_token", "device_code_expired", /expired/],
  ])("device code poll error %s", (serverError, code, text) => {
    // What msal-node throws when the token endpoint answers the poll with an error other than authorization_pending.
    const err = explain(new AuthError("post_request_failed", "corr", serverError));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(text);
  });

  test("MSAL's own expiry and cancellation", () => {
    expect(explain(new AuthError("device_code_expired", "c")).code).toBe("device_code_expired");
    const cancelled = explain(new AuthError("device_code_polling_cancelled", "c"));
    expect(cancelled.exitCode).toBe(EXIT.cancelled);
  });

  test("network failures from our MSAL network module name the host and the fix", () => {
    const tls = Object.assign(new AuthError("network_error", "", "request failed", "SELF_SIGNED_CERT_IN_CHAIN"), { host: "localhost:4443", emulator: true });
    expect(explain(tls)).toMatchObject({ code: "tls_untrusted" });
    expect(explain(tls).message).toMatch(/emulator at localhost:4443.*not trusted/);
    const refused = Object.assign(new AuthError("network_error", "", "request failed", "ECONNREFUSED"), { host: "localhost:4443", emulator: true });
    expect(explain(refused).message).toMatch(/npm run emulator/);
  });

  test("unknown AuthErrors keep one line and the correlation id, never a stack", () => {
    const err = explain(new ServerError("invalid_request", "corr-9", "AADSTS90099: Odd thing.\nmore\nlines"));
    expect(err.message).toBe("Sign-in failed: invalid_request: AADSTS90099: Odd thing. (correlation id corr-9)");
  });

  test("ConfigError keeps its list of variables", () => {
    const err = explain(new ConfigError([{ variable: "AZURE_CLI_CLIENT_ID", message: "is not set" }]));
    expect(err.message).toMatch(/AZURE_CLI_CLIENT_ID: is not set/);
    expect(err.exitCode).toBe(EXIT.failed);
  });

  test("plain errors", () => {
    expect(explain(new Error("boom\n    at x (y.ts:1:1)")).message).toBe("Unexpected error: boom");
    const mine = new CliError("x", "y");
    expect(explain(mine)).toBe(mine);
  });
});

test("aadstsCode and firstLine", () => {
  expect(aadstsCode({ errorMessage: entra("50126", "Invalid.") })).toBe("50126");
  expect(aadstsCode({ errorNo: "65001" })).toBe("65001");
  expect(aadstsCode({ errorMessage: "nothing" })).toBeUndefined();
  expect(firstLine(entra("50126", "Invalid username or password."))).toBe("AADSTS50126: Invalid username or password.");
});

test("explainNetwork wording for a real tenant", () => {
  expect(explainNetwork("ENOTFOUND", "login.microsoftonline.com", false).message).toMatch(/Cannot resolve login\.microsoftonline\.com/);
  expect(explainNetwork("UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "graph.microsoft.com", false).message).toMatch(/NODE_EXTRA_CA_CERTS/);
  expect(explainNetwork("TIMEOUT", "graph.microsoft.com", false).code).toBe("timeout");
});
