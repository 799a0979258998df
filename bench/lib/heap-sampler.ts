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
export {};

interface InspectorTarget {
  webSocketDebuggerUrl: string;
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  const intervalMs = Number(process.argv[3] ?? 10_000);
  if (!port || !(intervalMs > 0)) throw new Error("usage: heap-sampler.ts <inspector port> <intervalMs>");
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as InspectorTarget[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("no inspector target");
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("inspector connection failed")));
  });
  ws.addEventListener("close", () => process.exit(0));
  let id = 0;
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  ws.addEventListener("message", (event: MessageEvent) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: Record<string, unknown> };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result ?? {});
  });
  const call = (method: string) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method }));
    });
  const mb = (n: unknown) => Math.round((Number(n) / 1024 / 1024) * 10) / 10;
  const started = Date.now();
  const sample = async () => {
    const usage = await call("Runtime.getHeapUsage");
    process.stdout.write(JSON.stringify({ t: Date.now() - started, usedMb: mb(usage.usedSize), totalMb: mb(usage.totalSize) }) + "\n");
  };
  await sample();
  setInterval(() => void sample().catch(() => process.exit(1)), intervalMs);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
