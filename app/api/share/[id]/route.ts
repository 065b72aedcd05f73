import { jsonError } from "@/lib/server/http";
import { deleteShare, NO_SUCH_SHARE, readShare, shareCacheControl, shareStorageUnavailable } from "@/lib/server/share";
import { SHARE_IMAGES, shareImageUrl } from "@/lib/share-urls";
export * from "@/lib/server/other-methods";

/**
 * GET /api/share/<id>: the share's record (noise, scores, size, dates) and its image URLs.
 * DELETE /api/share/<id> with `Authorization: Bearer <delete token>`: deletes it (200 `{ deleted: id }`).
 * Errors are JSON `{ error }`: 403 (no token or not this share's), 404 (no such share, or expired), 503 (storage
 * unavailable); a path that does not percent-decode gets 400 from proxy.ts.
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

type Context = { params: Promise<{ id: string }> };


export async function GET(_request: Request, context: Context): Promise<Response> {
  const { id } = await context.params;
  try {
    const share = await readShare(id);
    if (!share) return jsonError(404, NO_SUCH_SHARE);
    const images = Object.fromEntries(SHARE_IMAGES.map((name) => [name, shareImageUrl(id, name)]));
    return Response.json({ ...share, images }, { headers: { "Cache-Control": shareCacheControl(share) } });
  } catch (error) {
    return shareStorageUnavailable("GET /api/share/<id>", error);
  }
}

/** The token of `Authorization: Bearer <token>`, or null. */
function bearerToken(request: Request): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("authorization") ?? "")?.[1] ?? null;
}

export async function DELETE(request: Request, context: Context): Promise<Response> {
  const { id } = await context.params;
  try {
    const outcome = await deleteShare(id, bearerToken(request));
    if (outcome === "not-found") return jsonError(404, NO_SUCH_SHARE);
    if (outcome === "forbidden") {
      return jsonError(403, "Only the sharer can delete a share: send its delete token as Authorization: Bearer <token>.");
    }
    return Response.json({ deleted: id }, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return shareStorageUnavailable("DELETE /api/share/<id>", error);
  }
}
