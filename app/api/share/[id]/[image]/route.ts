import { jsonError } from "@/lib/server/http";
import { NO_SUCH_SHARE, readShareImage, shareCacheControl, shareStorageUnavailable } from "@/lib/server/share";
import { SHARE_IMAGES, type ShareImage } from "@/lib/share-urls";
export * from "@/lib/server/other-methods";

/** GET /api/share/<id>/<noisy|denoised>.png: one of the share's images; JSON 404 if there is none. */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(_request: Request, context: { params: Promise<{ id: string; image: string }> }): Promise<Response> {
  const { id, image } = await context.params;
  const name = image.replace(/\.png$/, "");
  if (!image.endsWith(".png") || !(SHARE_IMAGES as readonly string[]).includes(name)) return jsonError(404, "No such image.");
  let found: Awaited<ReturnType<typeof readShareImage>>;
  try {
    found = await readShareImage(id, name as ShareImage);
  } catch (error) {
    return shareStorageUnavailable("GET /api/share/<id>/<image>", error);
  }
  if (!found) return jsonError(404, NO_SUCH_SHARE);
  return new Response(new Uint8Array(found.png), {
    headers: { "Content-Type": "image/png", "Cache-Control": shareCacheControl(found.record), "X-Content-Type-Options": "nosniff" },
  });
}
