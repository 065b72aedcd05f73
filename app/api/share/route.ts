import { contentType, errorResponse, HttpError, jsonError, readJsonBody, validationError } from "@/lib/server/http";
import { SERVER_MAX_BODY_BYTES } from "@/lib/limits";
import { createShare, SHARE_IMAGES, shareImageUrl, shareRequestSchema } from "@/lib/server/share";
import { StorageError } from "@/lib/server/storage";
export * from "@/lib/server/other-methods";

/**
 * POST /api/share: stores a result the visitor chose to share and answers 201 with its link.
 * Body (JSON): `{ noisy, denoised: "data:image/png;base64,...", noise: { kind, level }, metrics?: { psnrNoisy,
 * psnrDenoised, ssimNoisy, ssimDenoised } }`, both images the same size, at most 1024x1024.
 * Answers `{ id, url: "/share/<id>", images: { noisy, denoised } }`; errors are JSON `{ error }`: 400 (bad JSON or
 * fields), 413 (over 4 MB), 415 (not JSON), 422 (an image that is not a PNG), 503 (storage unavailable).
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  try {
    if (contentType(request) !== "application/json") throw new HttpError(415, "Send the share as JSON (Content-Type application/json).");
    const parsed = shareRequestSchema.safeParse(await readJsonBody(request, SERVER_MAX_BODY_BYTES));
    if (!parsed.success) return validationError(parsed.error, "body");
    const share = await createShare(parsed.data);
    const images = Object.fromEntries(SHARE_IMAGES.map((name) => [name, shareImageUrl(share.id, name)]));
    return Response.json({ id: share.id, url: `/share/${share.id}`, images }, { status: 201, headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    if (error instanceof StorageError) return jsonError(503, `Sharing is unavailable just now (${error.message}); try again later.`);
    return errorResponse(error, "POST /api/share", "Sharing failed");
  }
}
