// Verifies tokens with jose's remote JWKS, as an app would. Runs as a child
// process of the Jest suites because jose 6 is ESM-only.
// stdin: { jwksUri, checks: [{ token, issuer, audience }] } -> stdout: [{ ok, kid?, code?, payload? }]
import { createRemoteJWKSet, jwtVerify } from "jose";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { jwksUri, checks } = JSON.parse(input);
const jwks = createRemoteJWKSet(new URL(jwksUri));
const results = [];
for (const c of checks) {
  try {
    const { payload, protectedHeader } = await jwtVerify(c.token, jwks, { issuer: c.issuer, audience: c.audience });
    results.push({ ok: true, kid: protectedHeader.kid, payload });
  } catch (e) {
    results.push({ ok: false, code: e && typeof e === "object" && "code" in e ? e.code : String(e) });
  }
}
process.stdout.write(JSON.stringify(results));
