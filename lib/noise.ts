import { yieldToEventLoop } from "./errors";
import { bytesToFloats, floatsToBytes, type PixelImage } from "./image";
import { createRandom, type Random } from "./random";

/**
 * The corruptions the denoising autoencoder is trained on and the demo offers. All act on float images in [0, 1]
 * laid out HWC (or NHWC: a batch is just more pixels) and return a new array clipped to [0, 1].
 */
export const NOISE_KINDS = ["none", "gaussian", "salt-pepper", "masking"] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];

export interface NoiseSpec {
  kind: NoiseKind;
  /** gaussian: standard deviation σ; salt-pepper: fraction of pixels; masking: fraction of components. */
  level: number;
}

/** Valid level ranges, shared by the page's slider, the server's validation and the training mix. */
export const NOISE_LEVEL_RANGE: Record<NoiseKind, { min: number; max: number }> = {
  none: { min: 0, max: 0 },
  gaussian: { min: 0, max: 1 },
  "salt-pepper": { min: 0, max: 1 },
  masking: { min: 0, max: 1 },
};

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Adds σ·N(0, 1) to every component. */
export function gaussianNoise(pixels: Float32Array, sigma: number, random: Random): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = clip01(pixels[i] + sigma * random.normal());
  return out;
}

/** Sets a fraction p of pixels (all channels together) to black or white, with equal odds. */
export function saltAndPepperNoise(pixels: Float32Array, p: number, channels: number, random: Random): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i += channels) {
    const hit = random.uniform() < p;
    const value = random.uniform() < 0.5 ? 0 : 1;
    for (let c = 0; c < channels; c++) out[i + c] = hit ? value : clip01(pixels[i + c]);
  }
  return out;
}

/** Vincent et al. (2008) masking noise: a fraction p of components, chosen independently, set to 0. */
export function maskingNoise(pixels: Float32Array, p: number, random: Random): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = random.uniform() < p ? 0 : clip01(pixels[i]);
  return out;
}

export function applyNoise(pixels: Float32Array, spec: NoiseSpec, seed: number, channels = 3): Float32Array {
  const { min, max } = NOISE_LEVEL_RANGE[spec.kind];
  if (!Number.isFinite(spec.level) || spec.level < min || spec.level > max) {
    throw new RangeError(`noise level for ${spec.kind} must be in [${min}, ${max}], got ${spec.level}`);
  }
  const random = createRandom(seed);
  switch (spec.kind) {
    case "none":
      return pixels.map(clip01);
    case "gaussian":
      return gaussianNoise(pixels, spec.level, random);
    case "salt-pepper":
      return saltAndPepperNoise(pixels, spec.level, channels, random);
    case "masking":
      return maskingNoise(pixels, spec.level, random);
  }
}

/** Rounds to the nearest of 256 levels, as a noisy photo saved to an 8-bit file would be. */
export function quantize8Bit(pixels: Float32Array): Float32Array {
  return pixels.map((v) => Math.round(clip01(v) * 255) / 255);
}

/** Rows per noise band: large images are corrupted band by band so that no whole-image float copy is needed. */
export const NOISE_BAND_ROWS = 64;

/** The seed of band `band`; band 0 keeps the seed itself, so an image of up to 64 rows gets applyNoise's noise exactly. */
function bandSeed(seed: number, band: number): number {
  return (seed + Math.imul(band, 0x9e3779b9)) >>> 0;
}

/** Corrupts `image` into `out` band by band, yielding the number of values done after each band. */
function* noiseBands(image: PixelImage<Uint8ClampedArray>, spec: NoiseSpec, seed: number, out: Uint8ClampedArray): Generator<number> {
  const bandValues = NOISE_BAND_ROWS * image.width * image.channels;
  for (let band = 0, start = 0; start < image.data.length; band++, start += bandValues) {
    const end = Math.min(image.data.length, start + bandValues);
    out.set(floatsToBytes(applyNoise(bytesToFloats(image.data.subarray(start, end)), spec, bandSeed(seed, band), image.channels)), start);
    yield end - start;
  }
}

/**
 * Corrupts a byte image with applyNoise and rounds the result to 8 bits, as a noisy photo saved to a file would be
 * (and as training saw it: quantize8Bit(applyNoise(...))). Reproducible from the seed on any device.
 */
export function addNoise(image: PixelImage<Uint8ClampedArray>, spec: NoiseSpec, seed: number): PixelImage<Uint8ClampedArray> {
  const out = new Uint8ClampedArray(image.data.length);
  const bands = noiseBands(image, spec, seed, out);
  while (!bands.next().done);
  return { ...image, data: out };
}

/** addNoise for big images without freezing the page: the same bands, yielding to the event loop between them. */
export async function addNoiseAsync(
  image: PixelImage<Uint8ClampedArray>,
  spec: NoiseSpec,
  seed: number,
  signal?: AbortSignal,
): Promise<PixelImage<Uint8ClampedArray>> {
  const out = new Uint8ClampedArray(image.data.length);
  let sinceYield = 0;
  for (const done of noiseBands(image, spec, seed, out)) {
    sinceYield += done;
    if (sinceYield > 1_000_000) {
      sinceYield = 0;
      await yieldToEventLoop();
      signal?.throwIfAborted();
    }
  }
  return { ...image, data: out };
}
