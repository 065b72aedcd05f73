import { contentType, errorResponse, HttpError, jsonError, readJsonBody, validationError } from "@/lib/server/http";
import { clientKey, UNIDENTIFIED_CLIENT } from "@/lib/server/client-address";
import { ClientRateLimit } from "@/lib/server/rate-limit";
import { createShare, SHARE_MAX_BODY_BYTES, SHARE_RATE_LIMIT, shareRequestSchema, shareStorageUnavailable } from "@/lib/server/share";
import { SHARE_IMAGES, shareDeleteUrl, shareImageUrl, sharePageUrl } from "@/lib/share-urls";
import { StorageError } from "@/lib/server/storage";
export * from "@/lib/server/other-methods";

/**
 * POST /api/share: stores a result the visitor chose to share and answers 201 with its link and its delete link.
 * Body (JSON): `{ noisy, denoised: "data:image/png;base64,...", noise: { kind, level }, metrics?: { psnrNoisy,
 * psnrDenoised, ssimNoisy, ssimDenoised } }`, both images the same size, at most 256x256.
 * Answers `{ id, url: "/share/<id>", images: { noisy, denoised }, expiresAt, deleteToken, deleteUrl }`; the delete
 * token is shown this once and stored only as its hash. Errors are JSON `{ error }`: 400 (bad JSON or fields), 413
 * (too large), 415 (not JSON), 422 (an image that is not a PNG), 429 with Retry-After (too many shares from this
 * client: SHARE_RATE_LIMIT), 503 (storage unavailable).
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** One per process (see lib/server/rate-limit.ts for what that means under the cluster and on Vercel). */
const rateLimit = new ClientRateLimit(SHARE_RATE_LIMIT);
let warnedUnidentified = false;

async function refusedForRate(request: Request): Promise<Response | null> {
  const client = clientKey(request);
  if (client === UNIDENTIFIED_CLIENT && !warnedUnidentified) {
    warnedUnidentified = true;
    console.warn("POST /api/share: no trusted client address (set CLIENT_IP_HEADER); every visitor shares one rate limit");
  }
  const decision = await rateLimit.take(client);
  if (decision.allowed) return null;
  const { points, windowSeconds } = SHARE_RATE_LIMIT;
  return jsonError(
    429,
    `Too many shares: at most ${points} every ${windowSeconds / 60} minutes from one address. Try again in ${decision.retryAfterSeconds} s.`,
    { "Retry-After": String(decision.retryAfterSeconds) },
  );
}

export async function POST(request: Request): Promise<Response> {
  try {
    const refused = await refusedForRate(request);
    if (refused) return refused;
    if (contentType(request) !== "application/json") throw new HttpError(415, "Send the share as JSON (Content-Type application/json).");
    const parsed = shareRequestSchema.safeParse(await readJsonBody(request, SHARE_MAX_BODY_BYTES));
    if (!parsed.success) return validationError(parsed.error, "body");
    const { record, deleteToken } = await createShare(parsed.data);
    const images = Object.fromEntries(SHARE_IMAGES.map((name) => [name, shareImageUrl(record.id, name)]));
    return Response.json(
      { id: record.id, url: sharePageUrl(record.id), images, expiresAt: record.expiresAt, deleteToken, deleteUrl: shareDeleteUrl(record.id, deleteToken) },
      { status: 201, headers: { "Cache-Control": "no-store" } },
    );
  } catch (error) {
    if (error instanceof StorageError) return shareStorageUnavailable("POST /api/share", error);
    return errorResponse(error, "POST /api/share", "Sharing failed");
  }
}
