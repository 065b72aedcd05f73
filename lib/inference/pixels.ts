import { bytesToFloats, floatImage, floatsToBytes, type FloatImage } from "../image";
import { meanSquaredError } from "../metrics";
import { applyNoise, type NoiseSpec } from "../noise";

/**
 * Byte-level image helpers shared by the page, its worker and the server route. Images travel as packed RGB bytes
 * (what a PNG holds); the lib/ float conversions, noise and metrics do the arithmetic.
 */

export interface RgbImage {
  /** width x height x 3 bytes, row-major. */
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/** Rows per noise band: large images are corrupted band by band so that no whole-image float copy is needed. */
export const NOISE_BAND_ROWS = 64;

/** The seed of band `band`; band 0 keeps the seed itself, so an image of up to 64 rows gets applyNoise's noise exactly. */
export function bandSeed(seed: number, band: number): number {
  return (seed + Math.imul(band, 0x9e3779b9)) >>> 0;
}

/**
 * Corrupts an RGB image with lib/noise and rounds the result to 8 bits, as a noisy photo saved to a file would be
 * (and as training saw it: quantize8Bit(applyNoise(...))). Reproducible from the seed on any device.
 */
export function addNoiseRgb(image: RgbImage, spec: NoiseSpec, seed: number): RgbImage {
  const { width, height } = image;
  const out = new Uint8ClampedArray(image.data.length);
  const bandValues = NOISE_BAND_ROWS * width * 3;
  for (let band = 0, start = 0; start < image.data.length; band++, start += bandValues) {
    const end = Math.min(image.data.length, start + bandValues);
    const noisy = applyNoise(bytesToFloats(image.data.subarray(start, end)), spec, bandSeed(seed, band));
    out.set(floatsToBytes(noisy), start);
  }
  return { data: out, width, height };
}

export function rgbToFloatImage(image: RgbImage): FloatImage {
  return floatImage(bytesToFloats(image.data), image.width, image.height, 3);
}

/** RGBA (canvas) to RGB, compositing transparency onto white as lib/image rgbaToRgbFloats does. */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): RgbImage {
  const out = new Uint8ClampedArray(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    const alpha = rgba[p + 3] / 255;
    const white = 255 * (1 - alpha);
    out[q] = rgba[p] * alpha + white;
    out[q + 1] = rgba[p + 1] * alpha + white;
    out[q + 2] = rgba[p + 2] * alpha + white;
  }
  return { data: out, width, height };
}

/** RGB to opaque RGBA (for ImageData). */
export function rgbToRgba(image: RgbImage): Uint8ClampedArray<ArrayBuffer> {
  const { data } = image;
  const out = new Uint8ClampedArray(new ArrayBuffer((data.length / 3) * 4));
  for (let p = 0, q = 0; p < data.length; p += 3, q += 4) {
    out[q] = data[p];
    out[q + 1] = data[p + 1];
    out[q + 2] = data[p + 2];
    out[q + 3] = 255;
  }
  return out;
}

/**
 * PSNR in dB of `test` against `reference` for images of any size, band by band through lib/metrics'
 * meanSquaredError (no whole-image float copies). Infinity for identical images.
 */
export function psnrRgb(reference: RgbImage, test: RgbImage): number {
  if (reference.width !== test.width || reference.height !== test.height) {
    throw new RangeError(`images differ in size: ${reference.width}x${reference.height} vs ${test.width}x${test.height}`);
  }
  const bandValues = NOISE_BAND_ROWS * reference.width * 3;
  let sum = 0;
  for (let start = 0; start < reference.data.length; start += bandValues) {
    const end = Math.min(reference.data.length, start + bandValues);
    const rows = (end - start) / (reference.width * 3);
    const a = floatImage(bytesToFloats(reference.data.subarray(start, end)), reference.width, rows);
    const b = floatImage(bytesToFloats(test.data.subarray(start, end)), reference.width, rows);
    sum += meanSquaredError(a, b) * (end - start);
  }
  const mse = sum / reference.data.length;
  return mse === 0 ? Infinity : -10 * Math.log10(mse);
}

/** addNoiseRgb for big images without freezing the page: the same bands, yielding to the event loop between them. */
export async function addNoiseRgbAsync(image: RgbImage, spec: NoiseSpec, seed: number, signal?: { aborted: boolean }): Promise<RgbImage> {
  const { width, height } = image;
  const out = new Uint8ClampedArray(image.data.length);
  const bandValues = NOISE_BAND_ROWS * width * 3;
  let sinceYield = 0;
  for (let band = 0, start = 0; start < image.data.length; band++, start += bandValues) {
    const end = Math.min(image.data.length, start + bandValues);
    out.set(floatsToBytes(applyNoise(bytesToFloats(image.data.subarray(start, end)), spec, bandSeed(seed, band))), start);
    sinceYield += end - start;
    if (sinceYield > 1_000_000) {
      sinceYield = 0;
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (signal?.aborted) throw Object.assign(new Error("cancelled"), { name: "AbortError" });
    }
  }
  return { data: out, width, height };
}
