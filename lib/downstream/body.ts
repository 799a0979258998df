import type { DownstreamApi } from "@/lib/config";
import { downstreamError, downstreamTimeout, downstreamUnavailable } from "@/lib/errors";
import { BodyTooLargeError, type DownstreamHttpResponse } from "./transport";

/** A binary downstream body, with the content type the API declared. */
export interface DownstreamBytes {
  contentType: string;
  bytes: ArrayBuffer;
}

/** Duck-typed: fetch rejects with a DOMException, which is not an `Error` of every realm (Jest vm); transport.ts's TimeoutError has the same name. */
export function isTimeout(e: unknown): boolean {
  const name = typeof e === "object" && e !== null ? (e as { name?: unknown }).name : undefined;
  return name === "TimeoutError";
}

/** The body as JSON (undefined when empty); a body that is not JSON is the API's error (502). */
export async function readJson<T>(res: DownstreamHttpResponse, api: DownstreamApi, timeoutMs: number): Promise<T | undefined> {
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
export async function readBytes(res: DownstreamHttpResponse, api: DownstreamApi, timeoutMs: number, maxBytes: number): Promise<DownstreamBytes> {
  let buffer: ArrayBuffer;
  try {
    buffer = await res.bytes(maxBytes);
  } catch (e) {
    if (e instanceof BodyTooLargeError) throw downstreamError(api.name, res.status, e);
    if (isTimeout(e)) throw downstreamTimeout(api.name, timeoutMs);
    throw downstreamUnavailable(api.name, 1, e);
  }
  return { contentType: res.header("content-type") ?? "application/octet-stream", bytes: buffer };
}
