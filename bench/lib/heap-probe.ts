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
export {};

interface InspectorTarget {
  webSocketDebuggerUrl: string;
}

async function main(): Promise<void> {
  const port = Number(process.argv[2]);
  if (!port) throw new Error("usage: heap-probe.ts <inspector port>");
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as InspectorTarget[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("no inspector target");
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("inspector connection failed")));
  });
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
  await call("HeapProfiler.collectGarbage");
  const usage = await call("Runtime.getHeapUsage");
  ws.close();
  const mb = (n: unknown) => Math.round((Number(n) / 1024 / 1024) * 10) / 10;
  process.stdout.write(JSON.stringify({ usedMb: mb(usage.usedSize), totalMb: mb(usage.totalSize) }) + "\n");
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
