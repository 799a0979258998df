import { expect, test } from "@playwright/test";
import { control, counters, credentials, identityProviderOrigin, tenant } from "./emulator";
import { spa, web } from "./support/app-sign-in";
import { subscriptionsShown } from "./support/step-up";

const MEGAN = "megan.bowen@contoso.test";

/**
 * Which hosts the product really talks to (issue #20 §1). In the localhost run the app knows the
 * emulator as a custom authority at https://localhost:<port>; in a Microsoft-host run
 * (npm run test:e2e:microsoft-hosts) it is configured as production is, and every request (the
 * browser's and the server's) must reach Entra ID, Graph and ARM at Microsoft's own host names.
 *
 * Instance discovery: neither run makes a request. At localhost the app lists the emulator in
 * MSAL's knownAuthorities; at login.microsoftonline.com and login.microsoftonline.us, msal-browser 5
 * and msal-node 7 (msal-common 16) use the cloud metadata and endpoints they carry built in
 * (msal-common src/authority/AuthorityMetadata.ts, preferred over the network since
 * AzureAD/microsoft-authentication-library-for-js PR #6231; `skipAuthorityMetadataCache` removed in
 * v5, PR #7695). So MSAL's Microsoft-host path shows as: no instance discovery, and nothing but
 * Microsoft's hosts in requestsByHost. (emulator/microsoft-hosts.test.ts proves with the real
 * msal-node that an authority MSAL does not know is checked at the worldwide instance discovery.)
 */
test("the SPA and /web reach Entra ID, Graph and ARM only at the configured hosts, and MSAL asks for no instance discovery", async ({ page, baseURL }) => {
  const appOrigin = new URL(baseURL ?? "").origin;
  await control("/reset", { sessions: true });
  await control("/counters", undefined, "DELETE");

  expect(await spa.signIn(page, credentials(MEGAN), appOrigin)).toBe(identityProviderOrigin());
  await page.goto("/profile");
  await expect(page.getByLabel("Profile", { exact: true })).toContainText("Megan Bowen");
  await page.goto("/subscriptions");
  // the Subscriptions view asks for the authentication context c1 (MFA): one step-up, at the same hosts
  await subscriptionsShown(page);
  await web.signIn(page, credentials(MEGAN), appOrigin);
  await expect(web.profile(page)).toContainText("Megan Bowen");

  const t = tenant();
  const hosts = t.microsoftHosts ? [t.microsoftHosts.authorityHost, t.microsoftHosts.graphBaseUrl, t.microsoftHosts.armBaseUrl].map((u) => new URL(u).hostname) : ["localhost"];
  const c = await counters();
  expect(Object.keys(c.requestsByHost).sort()).toEqual([...hosts].sort());
  for (const host of hosts) expect(c.requestsByHost[host], host).toBeGreaterThan(0);
  expect(c.instanceDiscovery).toBe(0);
});
