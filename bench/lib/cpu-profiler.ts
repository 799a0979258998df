/**
 * Records a CPU profile of another Node process through its inspector (started with
 * --inspect=127.0.0.1:<port>) for <durationMs>, and writes it as a .cpuprofile file (open it in
 * Chrome DevTools or VS Code). Sampling every 500 µs (finer sampling costs the app more CPU than
 * it tells).
 *
 *   node --experimental-websocket --import tsx bench/lib/cpu-profiler.ts <port> <durationMs> <out.cpuprofile>
 *
 * Unlike `node --cpu-prof`, this profiles only the window asked for: not start-up, not warm-up.
 */
import { writeFileSync } from "node:fs";
import { connectInspector } from "./inspector";

async function main(): Promise<void> {
  const [port, durationMs, out] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
  if (!port || !(durationMs > 0) || !out) throw new Error("usage: cpu-profiler.ts <inspector port> <durationMs> <out.cpuprofile>");
  const inspector = await connectInspector(port);
  await inspector.call("Profiler.enable");
  await inspector.call("Profiler.setSamplingInterval", { interval: 500 });
  await inspector.call("Profiler.start");
  await new Promise((r) => setTimeout(r, durationMs));
  const { profile } = (await inspector.call("Profiler.stop")) as { profile: unknown };
  writeFileSync(out, JSON.stringify(profile));
  inspector.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  },
);
