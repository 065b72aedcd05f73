import { jsonError } from "@/lib/server/http";
import { readShareImage, SHARE_IMAGES, type ShareImage } from "@/lib/server/share";
export * from "@/lib/server/other-methods";

/** GET /api/share/<id>/<noisy|denoised>.png: one of the share's images; 404 if there is none. */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function GET(_request: Request, context: { params: Promise<{ id: string; image: string }> }): Promise<Response> {
  const { id, image } = await context.params;
  const name = image.replace(/\.png$/, "");
  if (!image.endsWith(".png") || !(SHARE_IMAGES as readonly string[]).includes(name)) return jsonError(404, "No such image.");
  const bytes = await readShareImage(id, name as ShareImage).catch(() => undefined);
  if (bytes === undefined) return jsonError(503, "The share storage is unavailable; try again later.");
  if (!bytes) return jsonError(404, "There is no share with this id.");
  return new Response(new Uint8Array(bytes), {
    headers: { "Content-Type": "image/png", "Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff" },
  });
}
