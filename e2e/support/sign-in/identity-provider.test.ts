/**
 * Which sign-in page object drives the page the browser landed on after "Sign in": chosen from the
 * host (the authority), never from what the page looks like.
 */
import { identityProviderAt, UnsupportedIdentityProviderError } from "./identity-provider";

const APP = "https://contoso-identity.azurewebsites.net";
const LOCAL_APP = "https://localhost:3443";

describe("identityProviderAt", () => {
  it.each([
    // Microsoft Entra ID, public cloud and national clouds (lib/config/clouds.ts)
    ["https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize?client_id=x", APP, "entra"],
    ["https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/logout", APP, "entra"],
    ["https://LOGIN.MicrosoftOnline.com/common/login", APP, "entra"],
    ["https://login.microsoftonline.us/contoso.onmicrosoft.us/oauth2/v2.0/authorize", APP, "entra"],
    ["https://login.chinacloudapi.cn/contoso.partner.onmschina.cn/oauth2/v2.0/authorize", APP, "entra"],
    ["https://login.partner.microsoftonline.cn/contoso.partner.onmschina.cn/oauth2/v2.0/authorize", APP, "entra"],
    // the bundled identity emulator: https on this machine's loopback, another port than the app
    ["https://localhost:8443/organizations/oauth2/v2.0/authorize?client_id=x", LOCAL_APP, "emulator"],
    ["https://localhost:41234/b7a3…/oauth2/v2.0/authorize", "http://localhost:3100", "emulator"],
    ["https://127.0.0.1:8443/common/oauth2/v2.0/authorize", LOCAL_APP, "emulator"],
    ["https://[::1]:8443/common/oauth2/v2.0/authorize", LOCAL_APP, "emulator"],
    // still on the app (single sign-on answered without a page, or the redirect has not happened yet)
    [`${APP}/redirect?code=abc`, APP, "app"],
    [`${LOCAL_APP}/profile`, LOCAL_APP, "app"],
    [`${LOCAL_APP.toUpperCase()}/profile`, LOCAL_APP, "app"],
  ])("%s (app %s) → %s", (url, appOrigin, expected) => {
    expect(identityProviderAt(url, appOrigin)).toBe(expected);
  });

  it.each([
    ["https://login.microsoftonline.com.evil.example/common/oauth2/v2.0/authorize", "not a sign-in page this suite knows"],
    ["https://microsoftonline.com/common/oauth2/v2.0/authorize", "not a sign-in page this suite knows"],
    ["https://contoso.ciamlogin.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize", "not a sign-in page this suite knows"],
    ["https://contoso.b2clogin.com/contoso.onmicrosoft.com/b2c_1_signin/oauth2/v2.0/authorize", "not a sign-in page this suite knows"],
    ["https://sts.contoso.example/adfs/ls/?wa=wsignin1.0", "federated"],
    ["http://localhost:8443/common/oauth2/v2.0/authorize", "not a sign-in page this suite knows"],
    ["https://localhost.evil.example:8443/common/oauth2/v2.0/authorize", "not a sign-in page this suite knows"],
    ["about:blank", "loading the sign-in page failed"],
    ["chrome-error://chromewebdata/", "loading the sign-in page failed"],
  ])("refuses %s with a message that says what to do", (url, phrase) => {
    const attempt = () => identityProviderAt(url, APP);
    expect(attempt).toThrow(UnsupportedIdentityProviderError);
    expect(attempt).toThrow(phrase);
  });
});
