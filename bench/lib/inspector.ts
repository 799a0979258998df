/**
 * A session with another Node process's inspector (started with --inspect=127.0.0.1:<port>), for
 * the small probe processes that read its heap or record its CPU profile. Node 20 has WebSocket
 * only behind --experimental-websocket, so those probes run as processes of their own.
 */
interface InspectorTarget {
  webSocketDebuggerUrl: string;
}

export interface InspectorSession {
  /** Sends one DevTools protocol command and resolves with its result. */
  call(method: string, params?: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Called when the inspected process goes away. */
  onClose(listener: () => void): void;
  close(): void;
}

export async function connectInspector(port: number): Promise<InspectorSession> {
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
  return {
    call: (method, params) =>
      new Promise((resolve) => {
        const n = ++id;
        pending.set(n, resolve);
        ws.send(JSON.stringify({ id: n, method, params }));
      }),
    onClose: (listener) => ws.addEventListener("close", listener),
    close: () => ws.close(),
  };
}

/** Bytes → MB with one decimal. */
export const mb = (n: unknown) => Math.round((Number(n) / 1024 / 1024) * 10) / 10;
