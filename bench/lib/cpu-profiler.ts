/**
 * Records a CPU profile of another Node process through its inspector (started with
 * --inspect=127.0.0.1:<port>) for <durationMs>, and writes it as a .cpuprofile file (open it in
 * Chrome DevTools or VS Code). Sampling every 500 µs (finer sampling costs the app more CPU than it tells).
 *
 *   node --experimental-websocket --import tsx bench/lib/cpu-profiler.ts <port> <durationMs> <out.cpuprofile>
 *
 * Unlike `node --cpu-prof`, this profiles only the window asked for: not start-up, not warm-up.
 */
import { writeFileSync } from "node:fs";

export {};

interface InspectorTarget {
  webSocketDebuggerUrl: string;
}

async function main(): Promise<void> {
  const [port, durationMs, out] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
  if (!port || !(durationMs > 0) || !out) throw new Error("usage: cpu-profiler.ts <inspector port> <durationMs> <out.cpuprofile>");
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
  const call = (method: string, params?: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 500 });
  await call("Profiler.start");
  await new Promise((r) => setTimeout(r, durationMs));
  const { profile } = (await call("Profiler.stop")) as { profile: unknown };
  writeFileSync(out, JSON.stringify(profile));
  ws.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
