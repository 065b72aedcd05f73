import { z } from "zod";
import { DIGIT_PIXELS } from "@/lib/catalogue";
import { contentType, errorResponse, HttpError, readBody, readJsonBody, validationError } from "@/lib/server/http";
import { digitFromImage, encodeDigit } from "@/lib/server/vae";
export * from "@/lib/server/other-methods";

/**
 * POST /api/vae/encode: one digit -> `{ mean: [x, y], logVar: [a, b] }` from the VAE encoder. The digit is either
 * JSON `{ "pixels": [784 values in [0, 1]] }` (28x28, row by row, white ink on black as in MNIST) or an image body
 * (image/png, image/jpeg, image/webp, image/gif; resized to 28x28 in grayscale).
 * Errors are JSON `{ error }`: 400 (bad JSON or pixels), 413 (too big), 415 (another content type, or a file that
 * is not an image), 422 (an image that cannot be decoded).
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const bodySchema = z.object({ pixels: z.array(z.number().finite().min(0).max(1)).length(DIGIT_PIXELS, `pixels must hold ${DIGIT_PIXELS} values (28x28)`) });
const MAX_JSON_BYTES = 64 * 1024;
const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];

export async function POST(request: Request): Promise<Response> {
  try {
    const type = contentType(request);
    let pixels: Float32Array;
    if (type === "application/json") {
      const parsed = bodySchema.safeParse(await readJsonBody(request, MAX_JSON_BYTES));
      if (!parsed.success) return validationError(parsed.error, "body");
      pixels = Float32Array.from(parsed.data.pixels);
    } else if (IMAGE_TYPES.includes(type)) {
      pixels = await digitFromImage(await readBody(request, MAX_IMAGE_BYTES, "The image"));
    } else {
      throw new HttpError(415, 'Send JSON { "pixels": [784 values] } or a PNG/JPEG image of the digit.');
    }
    const { value, backend, ms, sha256 } = await encodeDigit(pixels, request.signal);
    return Response.json(
      { ...value, backend, inferenceMs: Math.round(ms * 10) / 10 },
      { headers: { "Cache-Control": "no-store", "X-Backend": backend, "X-Model-Sha256": sha256 } },
    );
  } catch (error) {
    return errorResponse(error, "POST /api/vae/encode", "Encoding failed");
  }
}
