import "server-only";
import sharp from "sharp";
import { DIGIT_PIXELS, DIGIT_SIDE, LATENT_DIM, MODELS } from "../catalogue";
import { HttpError } from "./http";
import { inspectUpload } from "./image-decode";
import { runOnServer, type ServerRun } from "./models";

/**
 * The VAE on the server, for POST /api/vae/decode and /api/vae/encode: the same model storage, sha256 checks,
 * inference threads and line as the DAE's route (models.ts).
 */

/** Decodes n latent points: n x 784 pixel values in [0, 1], row-major per digit. `client`: the request's signal. */
export async function decodeLatent(z: [number, number][], client?: AbortSignal): Promise<ServerRun<Float32Array>> {
  return runOnServer(
    MODELS.vaeDecoder.key,
    async (run) => (await run({ data: Float32Array.from(z.flat()), shape: [z.length, LATENT_DIM] }))[0].data,
    client,
  );
}

/** Encodes one 28x28 digit: the posterior's mean and log-variance. */
export async function encodeDigit(pixels: Float32Array, client?: AbortSignal): Promise<ServerRun<{ mean: [number, number]; logVar: [number, number] }>> {
  return runOnServer(
    MODELS.vaeEncoder.key,
    async (run) => {
      const [mean, logVar] = (await run({ data: pixels, shape: [1, DIGIT_PIXELS] })).map((o) => o.data);
      return { mean: [mean[0], mean[1]], logVar: [logVar[0], logVar[1]] };
    },
    client,
  );
}

/** A digit image (PNG, JPEG, WebP or GIF; white ink on black like MNIST) as 784 values in [0, 1], resized to 28x28. */
export async function digitFromImage(bytes: Uint8Array): Promise<Float32Array> {
  const info = await inspectUpload(bytes);
  let raw: Buffer;
  try {
    raw = await sharp(bytes, { limitInputPixels: false })
      .rotate()
      .flatten({ background: "#000000" })
      .grayscale()
      .resize(DIGIT_SIDE, DIGIT_SIDE, { fit: info.width === info.height ? "fill" : "contain", background: "#000000" })
      .raw()
      .toBuffer();
  } catch {
    throw new HttpError(422, "The image could not be decoded: it may be damaged or truncated.");
  }
  const channels = raw.length / DIGIT_PIXELS;
  return Float32Array.from({ length: DIGIT_PIXELS }, (_, i) => raw[i * channels] / 255);
}

/** Digits (n x 784 values in [0, 1]) laid out in a grayscale PNG grid of `columns` columns. */
export async function digitsToPng(pixels: Float32Array, count: number, columns: number): Promise<Buffer> {
  const cols = Math.max(1, Math.min(columns, count));
  const rows = Math.ceil(count / cols);
  const width = cols * DIGIT_SIDE;
  const out = Buffer.alloc(width * rows * DIGIT_SIDE);
  for (let k = 0; k < count; k++) {
    const gx = (k % cols) * DIGIT_SIDE;
    const gy = Math.floor(k / cols) * DIGIT_SIDE;
    for (let y = 0; y < DIGIT_SIDE; y++) {
      for (let x = 0; x < DIGIT_SIDE; x++) {
        out[(gy + y) * width + gx + x] = Math.round(Math.min(1, Math.max(0, pixels[k * DIGIT_PIXELS + y * DIGIT_SIDE + x])) * 255);
      }
    }
  }
  return sharp(out, { raw: { width, height: rows * DIGIT_SIDE, channels: 1 } }).png().toBuffer();
}
