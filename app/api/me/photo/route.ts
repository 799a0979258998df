import { downstreamGet, onBehalfOf, type DownstreamBytes } from "@/lib/downstream";
import { notFound } from "@/lib/errors";
import { protectedRoute } from "@/lib/http/route";
import { getTokenService } from "@/lib/tokens";

// Graph serves photos as JPEG (PNG in the emulator); anything else is not passed to a browser.
const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const MAX_PHOTO_BYTES = 4 * 1024 * 1024;

/**
 * GET /api/me/photo: the caller's Graph profile photo (bytes), or 404 problem+json when the
 * user has none. Same OBO token as /api/me (Graph scopes), so it is usually a cache hit.
 */
export const GET = protectedRoute(async ({ caller, config, correlationId, timing }) => {
  const graph = config.downstream.graph;
  const ctx = onBehalfOf(caller, graph, { config, tokens: getTokenService(config), correlationId, timing });
  const photo = await downstreamGet<DownstreamBytes>(graph, "/me/photo/$value", ctx, {
    label: "photo",
    allowStatuses: [404],
    bytes: { accept: "image/*", maxBytes: MAX_PHOTO_BYTES },
  });
  const type = photo.body?.contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (photo.status === 404 || !photo.body || !IMAGE_TYPES.has(type)) throw notFound("You have no profile photo in Microsoft Graph.");
  return new Response(photo.body.bytes, {
    headers: {
      "content-type": type,
      // The user's own photo: the browser may keep it briefly; shared caches must not.
      "cache-control": "private, max-age=300",
      "x-content-type-options": "nosniff",
    },
  });
});
