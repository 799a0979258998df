/**
 * Forces a full GC in another Node process through its inspector (started with
 * --inspect=127.0.0.1:<port>) and prints its heap usage afterwards as JSON:
 *   { "usedMb": n, "totalMb": n }
 *
 *   node --experimental-websocket --import tsx bench/lib/heap-probe.ts <inspector port>
 *
 * Node 20 has WebSocket only behind --experimental-websocket, so this runs as its own small
 * process (bench/lib/cache-scale.ts spawns it).
 */
import { connectInspector, mb } from "./inspector";

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!port) throw new Error("usage: heap-probe.ts <inspector port>");
  const inspector = await connectInspector(port);
  await inspector.call("HeapProfiler.collectGarbage");
  const usage = await inspector.call("Runtime.getHeapUsage");
  inspector.close();
  process.stdout.write(JSON.stringify({ usedMb: mb(usage.usedSize), totalMb: mb(usage.totalSize) }) + "\n");
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
