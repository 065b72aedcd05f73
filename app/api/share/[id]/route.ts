import { jsonError } from "@/lib/server/http";
import { readShare, SHARE_IMAGES, shareImageUrl } from "@/lib/server/share";
export * from "@/lib/server/other-methods";

/** GET /api/share/<id>: the share's record (noise, scores, size, date) and its image URLs; 404 if there is none. */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(_request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  const { id } = await context.params;
  const share = await readShare(id).catch(() => undefined);
  if (share === undefined) return jsonError(503, "The share storage is unavailable; try again later.");
  if (!share) return jsonError(404, "There is no share with this id.");
  const images = Object.fromEntries(SHARE_IMAGES.map((name) => [name, shareImageUrl(id, name)]));
  // A share never changes once written.
  return Response.json({ ...share, images }, { headers: { "Cache-Control": "public, max-age=31536000, immutable" } });
}
