/**
 * Launch options end up in reports (Playwright's JSON reporter serialises the config, and CI may
 * upload reports): the browser's environment must not carry the deployed suite's test user or any
 * secret of the run.
 */
import { launchOptions } from "./browser";

describe("launchOptions", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("gives Chromium its NSS home but none of the run's credentials", () => {
    Object.assign(process.env, {
      E2E_BASE_URL: "https://contoso-identity.azurewebsites.net",
      E2E_USERNAME: "e2e-tester@contoso.example",
      E2E_PASSWORD: "the-test-users-password",
      AZURE_API_CLIENT_SECRET: "api-secret",
      SESSION_PASSWORD: "session-password-0123456789abcdef",
      TOKEN_CACHE_ENCRYPTION_KEY: "cache-key",
    });
    const env = launchOptions("/tmp/chromium-home").env ?? {};
    expect(env.HOME).toBe("/tmp/chromium-home");
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.E2E_BASE_URL).toBe("https://contoso-identity.azurewebsites.net");
    const serialised = JSON.stringify(env);
    for (const secret of ["e2e-tester@contoso.example", "the-test-users-password", "api-secret", "session-password-0123456789abcdef", "cache-key"]) {
      expect(serialised).not.toContain(secret);
    }
  });
});
