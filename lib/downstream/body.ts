import type { DownstreamApi } from "@/lib/config";
import { downstreamError, downstreamTimeout, downstreamUnavailable } from "@/lib/errors";

/** A binary downstream body, with the content type the API declared. */
export interface DownstreamBytes {
  contentType: string;
  bytes: ArrayBuffer;
}

/** Duck-typed: fetch rejects with a DOMException, which is not an `Error` of every realm (Jest vm). */
export function isTimeout(e: unknown): boolean {
  const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : undefined;
  return name === "TimeoutError";
}

/** The body as JSON (undefined when empty); a body that is not JSON is the API's error (502). */
export async function readJson<T>(res: Response, api: DownstreamApi, timeoutMs: number): Promise<T | undefined> {
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    if (isTimeout(e)) throw downstreamTimeout(api.name, timeoutMs);
    throw downstreamUnavailable(api.name, 1, e);
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw downstreamError(api.name, res.status, e);
  }
}

/** The body as bytes, refused (502) beyond `maxBytes`: never buffered unbounded. */
export async function readBytes(res: Response, api: DownstreamApi, timeoutMs: number, maxBytes: number): Promise<DownstreamBytes> {
  const declared = Number(res.headers.get("content-length"));
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw downstreamError(api.name, res.status, new Error(`body of ${declared} bytes exceeds ${maxBytes}`));
  }
  let buffer: ArrayBuffer;
  try {
    buffer = await res.arrayBuffer();
  } catch (e) {
    if (isTimeout(e)) throw downstreamTimeout(api.name, timeoutMs);
    throw downstreamUnavailable(api.name, 1, e);
  }
  if (buffer.byteLength > maxBytes) throw downstreamError(api.name, res.status, new Error(`body exceeds ${maxBytes} bytes`));
  return { contentType: res.headers.get("content-type") ?? "application/octet-stream", bytes: buffer };
}
