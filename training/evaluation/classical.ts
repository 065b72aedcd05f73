import type { PixelImage } from "../../lib/image";
import { psnr } from "../../lib/metrics";

/**
 * The classical denoisers the DAE is judged against: gaussian blur and the median filter, on float HWC images.
 * Borders are reflected with the edge pixel repeated (d c b a | a b c d, scipy.ndimage's "reflect"), so that a
 * filter neither darkens the border, as zero padding would, nor gives the edge pixel extra weight.
 */

export interface ClassicalFilter {
  name: string;
  /** How the report names the parameter, e.g. "σ". */
  parameterName: string;
  /** The grid the best parameter is chosen from. */
  candidates: readonly number[];
  apply(image: PixelImage<Float32Array>, parameter: number): PixelImage<Float32Array>;
}

/**
 * For each of the n output positions, the 2r+1 source positions of a window of radius r, reflected into [0, n).
 * Computed once per image side, so the filters' inner loops are plain array reads.
 */
function reflectedWindows(n: number, radius: number): Int32Array {
  const size = 2 * radius + 1;
  const period = 2 * n;
  const indices = new Int32Array(n * size);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < size; k++) {
      // Reflection is periodic with period 2n, which also covers windows wider than the image.
      const m = (((i + k - radius) % period) + period) % period;
      indices[i * size + k] = m < n ? m : period - 1 - m;
    }
  }
  return indices;
}

/** Normalised gaussian taps out to 4σ, scipy's default truncation. */
function gaussianTaps(sigma: number): Float32Array {
  const radius = Math.max(1, Math.round(4 * sigma));
  const taps = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let k = -radius; k <= radius; k++) {
    taps[k + radius] = Math.exp(-(k * k) / (2 * sigma * sigma));
    total += taps[k + radius];
  }
  return taps.map((t) => t / total);
}

/** Convolves every channel along one axis with symmetric taps. */
function convolveAlong(image: PixelImage<Float32Array>, taps: Float32Array, axis: "x" | "y"): PixelImage<Float32Array> {
  const { data, width, height, channels } = image;
  const size = taps.length;
  const windows = reflectedWindows(axis === "x" ? width : height, (size - 1) / 2);
  // Source pixel of tap k: base + windows[position * size + k] * stride, the same arithmetic for both axes.
  const stride = axis === "x" ? 1 : width;
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = axis === "x" ? y * width : x;
      const position = axis === "x" ? x : y;
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = 0; k < size; k++) sum += taps[k] * data[(base + windows[position * size + k] * stride) * channels + c];
        out[(y * width + x) * channels + c] = sum;
      }
    }
  }
  return { ...image, data: out };
}

/** Separable gaussian blur with standard deviation `sigma` pixels. */
export function gaussianBlur(image: PixelImage<Float32Array>, sigma: number): PixelImage<Float32Array> {
  const taps = gaussianTaps(sigma);
  return convolveAlong(convolveAlong(image, taps, "x"), taps, "y");
}

/** Median of each channel over a window x window neighbourhood (window odd). */
export function medianFilter(image: PixelImage<Float32Array>, window: number): PixelImage<Float32Array> {
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0) {
    throw new RangeError(`median window must be a positive odd integer, got ${window}`);
  }
  const { data, width, height, channels } = image;
  const radius = (window - 1) / 2;
  const [rows, columns] = [reflectedWindows(height, radius), reflectedWindows(width, radius)];
  const values = new Float32Array(window * window);
  const out = new Float32Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        // Insertion sort as the window is gathered: fastest for the 9 or 25 values of a small window.
        let count = 0;
        for (let dy = 0; dy < window; dy++) {
          const rowStart = rows[y * window + dy] * width;
          for (let dx = 0; dx < window; dx++) {
            const value = data[(rowStart + columns[x * window + dx]) * channels + c];
            let j = count++;
            for (; j > 0 && values[j - 1] > value; j--) values[j] = values[j - 1];
            values[j] = value;
          }
        }
        out[(y * width + x) * channels + c] = values[(count - 1) / 2];
      }
    }
  }
  return { ...image, data: out };
}

export const GAUSSIAN_BLUR: ClassicalFilter = {
  name: "gaussian blur",
  parameterName: "σ",
  candidates: [0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5],
  apply: gaussianBlur,
};

export const MEDIAN_FILTER: ClassicalFilter = {
  name: "median",
  parameterName: "window",
  candidates: [3, 5],
  apply: medianFilter,
};

/** The mean over images of a per-image metric (PSNR and SSIM are averaged per image, as the anchors are). */
export function meanPerImage(
  metric: (a: PixelImage<Float32Array>, b: PixelImage<Float32Array>) => number,
  outputs: readonly PixelImage<Float32Array>[],
  references: readonly PixelImage<Float32Array>[],
): number {
  let total = 0;
  for (let i = 0; i < outputs.length; i++) total += metric(outputs[i], references[i]);
  return total / outputs.length;
}

export interface BestFilterOutputs {
  parameter: number;
  meanPsnr: number;
  outputs: PixelImage<Float32Array>[];
}

/**
 * Runs the filter with each candidate parameter and keeps the one with the best mean PSNR against the clean
 * images. Choosing on the test set itself is an oracle: it makes the classical baseline as strong as it can be,
 * as the anchors in ../shared/docs/dae-anchors.md do.
 */
export function bestParameterByPsnr(
  filter: ClassicalFilter,
  noisy: readonly PixelImage<Float32Array>[],
  clean: readonly PixelImage<Float32Array>[],
): BestFilterOutputs {
  let best: BestFilterOutputs | undefined;
  for (const parameter of filter.candidates) {
    const outputs = noisy.map((image) => filter.apply(image, parameter));
    const meanPsnr = meanPerImage(psnr, outputs, clean);
    if (best === undefined || meanPsnr > best.meanPsnr) best = { parameter, meanPsnr, outputs };
  }
  if (best === undefined) throw new RangeError(`${filter.name} has no candidate parameters`);
  return best;
}
