/**
 * One instance per process and configuration object (MSAL service, key set cache, Redis
 * connection): route modules that share lib/config share the instance instead of each building
 * their own. Keyed by the AppConfig object, so tests that reset the configuration get fresh
 * instances. Bundles with their own lib/config (proxy.ts is bundled apart from the route
 * handlers) get their own instances on purpose: class instances must not cross bundles, where
 * `instanceof` would fail. Plain data that must be shared across bundles (the verified-token
 * memo) is shared explicitly, see lib/auth/verifier.ts.
 */
const REGISTRY = Symbol.for("ms-identity-nextjs.process-singletons");
type Registry = Map<string, WeakMap<object, unknown>>;

function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  g[REGISTRY] ??= new Map();
  return g[REGISTRY];
}

export function processSingleton<T>(name: string, key: object, create: () => T): T {
  const reg = registry();
  let byKey = reg.get(name);
  if (!byKey) {
    byKey = new WeakMap();
    reg.set(name, byKey);
  }
  if (byKey.has(key)) return byKey.get(key) as T;
  const value = create();
  byKey.set(key, value);
  return value;
}

/** The existing instance, if one was created. */
export function peekProcessSingleton<T>(name: string, key: object): T | undefined {
  return registry().get(name)?.get(key) as T | undefined;
}
