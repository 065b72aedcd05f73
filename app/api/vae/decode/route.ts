import { z } from "zod";
import { DIGIT_SIDE } from "@/lib/catalogue";
import { MAX_ABS_Z, MAX_DECODE_POINTS } from "@/lib/latent";
import { contentType, errorResponse, HttpError, readJsonBody, validationError } from "@/lib/server/http";
import { decodeLatent, digitsToPng } from "@/lib/server/vae";
export * from "@/lib/server/other-methods";

/**
 * POST /api/vae/decode: `{ "z": [[x, y], ...] }` (1 to 400 points, finite, |coordinate| ≤ 1000) -> the VAE
 * decoder's digits. JSON by default: `{ width: 28, height: 28, count, pixels: [[784 values in [0, 1]], ...] }`;
 * a PNG grid with `?format=png` (or `Accept: image/png`), `?columns=N` columns (default: a square-ish grid).
 * Errors are JSON `{ error }`: 400 (bad JSON or points), 413 (too many points or bytes), 415 (not JSON).
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

const coordinate = z.number().finite().min(-MAX_ABS_Z).max(MAX_ABS_Z);
const bodySchema = z.object({ z: z.array(z.tuple([coordinate, coordinate])).min(1, "z needs at least one point") });
const MAX_BODY_BYTES = 64 * 1024;

export async function POST(request: Request): Promise<Response> {
  try {
    if (contentType(request) !== "application/json") throw new HttpError(415, 'Send a JSON body: { "z": [[x, y], ...] } with Content-Type application/json.');
    const body = await readJsonBody(request, MAX_BODY_BYTES);
    const count = (body as { z?: unknown })?.z;
    if (Array.isArray(count) && count.length > MAX_DECODE_POINTS) throw new HttpError(413, `${count.length} points; at most ${MAX_DECODE_POINTS} a request.`);
    const parsed = bodySchema.safeParse(body);
    if (!parsed.success) return validationError(parsed.error, "body");
    const points = parsed.data.z;
    const params = new URL(request.url).searchParams;
    const wantsPng = params.get("format") === "png" || (params.get("format") === null && (request.headers.get("accept") ?? "").startsWith("image/png"));
    const { value, backend, ms, sha256 } = await decodeLatent(points, request.signal);
    const headers = { "Cache-Control": "no-store", "X-Backend": backend, "X-Inference-Ms": ms.toFixed(1), "X-Model-Sha256": sha256 };
    if (wantsPng) {
      const columns = Number(params.get("columns") ?? Math.ceil(Math.sqrt(points.length)));
      if (!Number.isInteger(columns) || columns < 1 || columns > MAX_DECODE_POINTS) throw new HttpError(400, "columns must be an integer from 1 to 400.");
      const png = await digitsToPng(value, points.length, columns);
      return new Response(new Uint8Array(png), { headers: { ...headers, "Content-Type": "image/png" } });
    }
    const size = DIGIT_SIDE * DIGIT_SIDE;
    const pixels = points.map((_, k) => Array.from(value.subarray(k * size, (k + 1) * size), (v) => Math.round(v * 1e6) / 1e6));
    return Response.json({ width: DIGIT_SIDE, height: DIGIT_SIDE, count: points.length, backend, inferenceMs: Math.round(ms * 10) / 10, pixels }, { headers });
  } catch (error) {
    return errorResponse(error, "POST /api/vae/decode", "Decoding failed");
  }
}
