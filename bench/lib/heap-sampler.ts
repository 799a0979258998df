/**
 * Samples another Node process's V8 heap through its inspector (started with
 * --inspect=127.0.0.1:<port>) every <intervalMs>, WITHOUT forcing a GC (unlike heap-probe.ts):
 * what the heap holds at that moment, garbage included. One JSON line per sample on stdout:
 *   { "t": <ms since start>, "usedMb": n, "totalMb": n }
 *
 *   node --experimental-websocket --import tsx bench/lib/heap-sampler.ts <inspector port> <intervalMs>
 *
 * One long-lived process and one inspector session for a whole soak run: a sampler process per
 * sample would cost the shared cores more than the app's GC does.
 */
import { connectInspector, mb } from "./inspector";

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const intervalMs = Number(process.argv[3] ?? 10_000);
  if (!port || !(intervalMs > 0)) throw new Error("usage: heap-sampler.ts <inspector port> <intervalMs>");
  const inspector = await connectInspector(port);
  inspector.onClose(() => process.exit(0));
  const started = Date.now();
  const sample = async () => {
    const usage = await inspector.call("Runtime.getHeapUsage");
    process.stdout.write(JSON.stringify({ t: Date.now() - started, usedMb: mb(usage.usedSize), totalMb: mb(usage.totalSize) }) + "\n");
  };
  await sample();
  setInterval(() => void sample().catch(() => process.exit(1)), intervalMs);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
