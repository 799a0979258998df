import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ICachePlugin, TokenCacheContext } from "@azure/msal-node";

/**
 * MSAL's token cache persisted in one JSON file that only the user can read (0600, in a 0700
 * folder). It holds refresh tokens: treat it like a password file.
 *
 * Writes go to a temporary file that is renamed over the old one, so a crash or Ctrl-C never
 * leaves a half-written cache. Two CLI runs at the same moment may lose one of their updates (last
 * rename wins); that costs a sign-in, never a corrupt file. On Windows the mode bits are ignored and
 * the file inherits the ACL of %APPDATA%, which is already private to the user.
 */
export class FileCachePlugin implements ICachePlugin {
  constructor(readonly file: string) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    let data: string;
    try {
      data = await readFile(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    await tightenMode(this.file);
    try {
      JSON.parse(data);
    } catch {
      return; // a corrupt file is treated as empty; the next write replaces it
    }
    context.tokenCache.deserialize(data);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    await writePrivateFile(this.file, context.tokenCache.serialize());
  }
}

/** The cache files this CLI writes (one per authority and client id), and their leftover temporaries. */
export const CACHE_FILE = /^msal-cache-[0-9a-f]{16}\.json$/;
const CACHE_TEMP = /^msal-cache-[0-9a-f]{16}\.json\.\d+\.\d+\.tmp$/;

/** Deletes every CLI token cache file in `dir` (all authorities: emulator runs and tenants); returns their paths. */
export async function removeCacheFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!CACHE_FILE.test(name) && !CACHE_TEMP.test(name)) continue;
    await rm(path.join(dir, name), { force: true });
    if (CACHE_FILE.test(name)) removed.push(path.join(dir, name));
  }
  return removed;
}

/** Writes `data` atomically to `file` with mode 0600, creating the folder with mode 0700. */
export async function writePrivateFile(file: string, data: string): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(tmp, data, { mode: 0o600 });
    await chmod(tmp, 0o600); // the mode given to writeFile is filtered by the umask; make it exact
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A cache file readable by group or others (copied around, restored from a backup) is made private again. */
async function tightenMode(file: string): Promise<void> {
  if (process.platform === "win32") return;
  const { mode } = await stat(file);
  if ((mode & 0o077) !== 0) await chmod(file, 0o600);
}
