/**
 * The process's token-cache store stays inside the heap budget lib/config sized it for
 * (TOKEN_CACHE_MAX_USERS users × one partition per downstream API, PARTITION_HEAP_KB each): the
 * group-membership answers lib/authz keeps there count against that cap rather than widening it,
 * or a store of users who call one API would hold more partitions than the heap was sized for.
 */
import { parseConfig } from "@/lib/config/parse";
import { getCacheStore } from "./index";

const config = parseConfig({
  AZURE_TENANT_ID: "11111111-2222-4333-8444-555555555555",
  AZURE_SPA_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000001",
  AZURE_API_CLIENT_ID: "aaaaaaaa-0000-4000-8000-000000000002",
  AZURE_API_CLIENT_SECRET: "s3cr3t-value-that-must-never-be-printed",
  SESSION_PASSWORD: "x".repeat(32),
  TOKEN_CACHE_MAX_USERS: "10",
});

test("holds at most TOKEN_CACHE_MAX_USERS × downstream APIs entries, group-membership answers included", async () => {
  const apis = Object.keys(config.downstream).length;
  expect(apis).toBe(2);
  const store = getCacheStore(config);
  // One partition per user of one API (as /api/me's users have), then their group answers.
  const keys = [...Array.from({ length: 30 }, (_, i) => `obo:user-${i}:graph`), ...Array.from({ length: 10 }, (_, i) => `grp:v1:user-${i}`)];
  for (const key of keys) await store.set(key, key.startsWith("grp:") ? "[]" : "partition", 3600);
  const kept: string[] = [];
  for (const key of keys) if ((await store.get(key)) !== undefined) kept.push(key);
  // Least recently used first: the newest 20 entries are the ones kept.
  expect(kept).toEqual(keys.slice(-10 * apis));
  await store.close();
});
