import { z } from "zod";
import { MODELS } from "@/lib/catalogue";
import { largestSquareSide, megapixels, SERVER_MAX_BODY_BYTES, SERVER_REQUEST_MAX_PIXELS } from "@/lib/limits";
import { addNoise, NOISE_KINDS, NOISE_LEVEL_RANGE } from "@/lib/noise";
import { denoiseImage } from "@/lib/server/dae";
import { contentType, errorResponse, HttpError, readBody, validationError } from "@/lib/server/http";
import { decodeCrop, decodeFull, encodePng, inspectUpload } from "@/lib/server/image-decode";
export * from "@/lib/server/other-methods";

/**
 * POST /api/denoise: a photo in (multipart field `image`, or a raw image/png or image/jpeg body), the denoised PNG
 * out. Parameters, as query parameters or multipart fields:
 *   noise   none | gaussian | salt-pepper | masking (default none: the photo is already noisy)
 *   level   noise level in [0, 1] (gaussian σ, or the fraction of pixels / components hit)
 *   seed    noise seed, an integer (default 1)
 *   crop    "x,y,size": the square to crop, in displayed pixels (default: the largest centred square)
 *   full    true: no resize: denoise the crop, or the whole image, at its own resolution (tiled), up to
 *           SERVER_REQUEST_MAX_PIXELS (the request's compute budget)
 *   format  png (default) | json: PSNR/SSIM of noisy and denoised against the original, and both images as
 *           data URLs (also chosen by `Accept: application/json`)
 * Errors are JSON `{ "error": message }` with 400 (bad parameters, empty file), 413 (too many bytes or pixels,
 * or over the full-resolution budget: the pixels read from the header before decoding), 415 (not a supported image), 422 (an image that cannot be
 * decoded), 499 (the client hung up: its work stops at the next tile), 503 (the server is busy: with Retry-After; or its model
 * files do not match their manifest).
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";
export const maxDuration = 60;

const booleanParam = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const paramsSchema = z
  .object({
    noise: z.enum(NOISE_KINDS).default("none"),
    level: z.coerce.number().finite().min(0).max(1).default(0),
    seed: z.coerce.number().int().min(0).max(0xffffffff).default(1),
    crop: z
      .string()
      .regex(/^\d+,\d+,\d+$/, 'crop must be "x,y,size" in pixels')
      .transform((s) => {
        const [x, y, size] = s.split(",").map(Number);
        return { x, y, size };
      })
      .optional(),
    full: booleanParam.default(false),
    format: z.enum(["png", "json"]).optional(),
  })
  .superRefine((p, ctx) => {
    const { min, max } = NOISE_LEVEL_RANGE[p.noise];
    if (p.noise !== "none" && (p.level < min || p.level > max)) {
      ctx.addIssue({ code: "custom", path: ["level"], message: `level for ${p.noise} must be in [${min}, ${max}]` });
    }
  });

const RAW_TYPES = ["image/png", "image/jpeg", "image/jpg", "image/webp", "application/octet-stream"];

async function readRequest(request: Request): Promise<{ bytes: Uint8Array; fields: Record<string, string> }> {
  const fields: Record<string, string> = Object.fromEntries(new URL(request.url).searchParams);
  const type = contentType(request);
  if (type === "multipart/form-data") {
    // Read (bounded) before parsing: formData() alone would buffer a body of any size.
    const body = await readBody(request, SERVER_MAX_BODY_BYTES);
    let form: FormData;
    try {
      form = await new Response(body, { headers: { "Content-Type": request.headers.get("content-type") ?? "" } }).formData();
    } catch {
      throw new HttpError(400, "The multipart body could not be read.");
    }
    const image = form.get("image");
    if (!image || typeof image === "string") throw new HttpError(400, 'Send the photo in the multipart field "image".');
    for (const [key, value] of form.entries()) if (key !== "image" && typeof value === "string") fields[key] = value;
    return { bytes: new Uint8Array(await image.arrayBuffer()), fields };
  }
  if (RAW_TYPES.includes(type)) return { bytes: await readBody(request, SERVER_MAX_BODY_BYTES, "The image"), fields };
  throw new HttpError(415, "Send multipart/form-data with an \"image\" field, or a raw image/png or image/jpeg body.");
}

/** 413 for full-resolution work over one request's compute budget, saying what fits. */
function checkFullResBudget([width, height]: [number, number]) {
  if (width * height <= SERVER_REQUEST_MAX_PIXELS) return;
  const side = largestSquareSide(SERVER_REQUEST_MAX_PIXELS);
  throw new HttpError(
    413,
    `At full resolution this is ${width}×${height} pixels (${megapixels(width * height)}); one request may denoise at most ` +
      `${SERVER_REQUEST_MAX_PIXELS.toLocaleString("en")} pixels (${megapixels(SERVER_REQUEST_MAX_PIXELS)}, e.g. ${side}×${side}). ` +
      `Send a smaller copy, a crop (crop=x,y,size with size up to ${side}), or the image in tiles, one request each.`,
  );
}

const dataUrl = (png: Buffer) => `data:image/png;base64,${png.toString("base64")}`;
const finite = (v: number) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null);

export async function POST(request: Request): Promise<Response> {
  try {
    const { bytes, fields } = await readRequest(request);
    const parsed = paramsSchema.safeParse(fields);
    if (!parsed.success) return validationError(parsed.error, "parameters");
    const params = parsed.data;
    const wantsJson = params.format === "json" || (params.format === undefined && (request.headers.get("accept") ?? "").startsWith("application/json"));
    const info = await inspectUpload(bytes);
    if (params.full) checkFullResBudget(params.crop ? [params.crop.size, params.crop.size] : [info.width, info.height]);
    const clean = params.full ? await decodeFull(bytes, info, params.crop) : await decodeCrop(bytes, info, params.crop);
    const noisy = addNoise(clean, { kind: params.noise, level: params.noise === "none" ? 0 : params.level }, params.seed);
    const { value, ms, backend, sha256: modelSha } = await denoiseImage(noisy, request.signal, wantsJson ? clean : undefined);
    const { denoised, scores } = value;

    const png = await encodePng(denoised);
    const headers = {
      "Cache-Control": "no-store",
      "X-Backend": backend,
      "X-Inference-Ms": ms.toFixed(1),
      "X-Model-Sha256": modelSha,
      "X-Image-Size": `${denoised.width}x${denoised.height}`,
    };
    // The scores were asked for exactly when JSON is wanted.
    if (!wantsJson || !scores) return new Response(new Uint8Array(png), { headers: { ...headers, "Content-Type": "image/png" } });

    return Response.json(
      {
        width: denoised.width,
        height: denoised.height,
        backend,
        inferenceMs: Math.round(ms * 10) / 10,
        model: { name: MODELS.dae.key, sha256: modelSha },
        noise: { kind: params.noise, level: params.noise === "none" ? 0 : params.level, seed: params.seed },
        metrics: {
          psnr: { noisy: finite(scores.psnr.noisy), denoised: finite(scores.psnr.denoised) },
          ssim: scores.ssim ? { noisy: finite(scores.ssim.noisy), denoised: finite(scores.ssim.denoised) } : null,
        },
        original: dataUrl(await encodePng(clean)),
        noisy: dataUrl(await encodePng(noisy)),
        denoised: dataUrl(png),
      },
      { headers },
    );
  } catch (error) {
    return errorResponse(error, "POST /api/denoise", "Denoising failed");
  }
}
