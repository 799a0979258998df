import { test } from "./fixtures";

/**
 * What a real tenant cannot do on demand, listed so the report says what this run did not prove.
 * The emulator suite proves each against the identity emulator, whose control API injects them;
 * a deployed run never has that API (scripts/e2e-deployed.ts withholds it, ESLint keeps its helpers
 * out of e2e/deployed/), and if it ever did, these fail instead of passing quietly.
 */
const NOT_PROVABLE_HERE = [
  { scenario: "MFA step-up: Graph's Conditional Access claims challenge, the SPA steps up and retries once", why: "a real tenant cannot require MFA of one user on demand", provenBy: "e2e/spa.spec.ts" },
  { scenario: "consent revoked: the SPA offers consent, or explains that an administrator must grant it", why: "revoking a grant needs an administrator of the tenant", provenBy: "e2e/consent.spec.ts, e2e/spa.spec.ts" },
  { scenario: "Graph throttled, the identity provider down: an explained error with Try again, then recovery", why: "faults cannot be injected into Microsoft's services", provenBy: "e2e/spa.spec.ts, npm run test:faults" },
  { scenario: "sessions revoked by an administrator (continuous access evaluation): one step-up, then the data", why: "revoking the test user's sessions signs them out everywhere", provenBy: "e2e/cae.spec.ts" },
  { scenario: "the second day: the SPA's refresh token at the end of its 24-hour lifetime", why: "a day cannot be skipped at a real identity provider", provenBy: "e2e/renewal.spec.ts" },
  { scenario: "users of another tenant, and of a tenant that is not allowed", why: "it needs test users in other tenants", provenBy: "e2e/tenants.spec.ts" },
];

const controlApiHere = Boolean(process.env.EMULATOR_TENANT_FILE);

for (const { scenario, why, provenBy } of NOT_PROVABLE_HERE) {
  test(scenario, () => {
    test.skip(!controlApiHere, `no identity-emulator control API at this deployment (${why}); proven offline by ${provenBy}`);
    throw new Error(`The deployed suite was given the identity emulator's control API (EMULATOR_TENANT_FILE is set): a deployed run must never have it. This scenario is proven by ${provenBy}.`);
  });
}
