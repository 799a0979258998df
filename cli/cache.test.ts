import { mkdtemp, readFile, rm, stat, writeFile, chmod, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TokenCacheContext } from "@azure/msal-node";
import { FileCachePlugin, removeCacheFiles } from "./cache";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "cli-cache-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A TokenCacheContext stand-in: the plugin only uses these members. */
function context(initial: string, changed: boolean) {
  const state = { data: initial, deserialized: undefined as string | undefined };
  const ctx = {
    cacheHasChanged: changed,
    tokenCache: {
      serialize: () => state.data,
      deserialize: (d: string) => {
        state.deserialized = d;
      },
    },
  } as unknown as TokenCacheContext;
  return { ctx, state };
}

const posix = process.platform !== "win32";

test("writes only when the cache changed, atomically, mode 0600 in a 0700 folder", async () => {
  const file = path.join(dir, "nested", "cache.json");
  const plugin = new FileCachePlugin(file);
  await plugin.afterCacheAccess(context("{}", false).ctx);
  await expect(stat(file)).rejects.toMatchObject({ code: "ENOENT" });

  await plugin.afterCacheAccess(context('{"Account":{}}', true).ctx);
  expect(await readFile(file, "utf8")).toBe('{"Account":{}}');
  if (posix) {
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
  }
  expect((await readdir(path.dirname(file))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
});

test("reads the file back, tightening a loose mode; a missing or corrupt file is an empty cache", async () => {
  const file = path.join(dir, "cache.json");
  const plugin = new FileCachePlugin(file);

  const missing = context("", false);
  await plugin.beforeCacheAccess(missing.ctx);
  expect(missing.state.deserialized).toBeUndefined();

  await writeFile(file, '{"Account":{}}');
  await chmod(file, 0o644);
  const loaded = context("", false);
  await plugin.beforeCacheAccess(loaded.ctx);
  expect(loaded.state.deserialized).toBe('{"Account":{}}');
  if (posix) expect((await stat(file)).mode & 0o777).toBe(0o600);

  await writeFile(file, "{not json");
  const corrupt = context("", false);
  await plugin.beforeCacheAccess(corrupt.ctx);
  expect(corrupt.state.deserialized).toBeUndefined();
});

test("removeCacheFiles deletes only the CLI's cache files and their temporaries", async () => {
  const keep = ["notes.txt", "msal-cache-short.json"];
  const mine = ["msal-cache-0123456789abcdef.json", "msal-cache-fedcba9876543210.json"];
  for (const f of [...keep, ...mine, "msal-cache-0123456789abcdef.json.12.34.tmp"]) await writeFile(path.join(dir, f), "{}");
  expect((await removeCacheFiles(dir)).sort()).toEqual(mine.map((f) => path.join(dir, f)).sort());
  expect((await readdir(dir)).sort()).toEqual(keep.sort());
  expect(await removeCacheFiles(path.join(dir, "missing"))).toEqual([]);
});
