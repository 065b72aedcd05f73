import { DIGIT_PIXELS, DIGIT_SIDE } from "./catalogue";

/**
 * What the MNIST latent page, its worker and the server routes share about the 2-D models, without importing tfjs
 * (this file is in the page's main bundle): limits, MNIST-style preprocessing of a drawn digit, the grid
 * spacings of the manifold picture, and the view that fits a plane of codes.
 */

/** Most points one POST /api/vae/decode decodes (a 20x20 grid). */
export const MAX_DECODE_POINTS = 400;
/** Largest |z| coordinate the routes accept (the prior puts 99.99% of its mass inside ±4). */
export const MAX_ABS_Z = 1000;

/**
 * Φ⁻¹, the inverse of the standard normal CDF, by P. J. Acklam's rational approximations (relative error below
 * 1.2e-9): a central one for 0.02425 <= p <= 0.97575 and a tail one, used mirrored, outside. For the manifold grid
 * through the prior's quantiles, as in Kingma & Welling (2014), Fig. 4.
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const polynomial = (coefficients: number[], x: number) => coefficients.reduce((sum, k) => sum * x + k, 0);
  const tailBoundary = 0.02425;
  if (p < tailBoundary || p > 1 - tailBoundary) {
    const q = Math.sqrt(-2 * Math.log(Math.min(p, 1 - p)));
    const lowerTail = polynomial(c, q) / (polynomial(d, q) * q + 1);
    return p < tailBoundary ? lowerTail : -lowerTail;
  }
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(a, r) * q) / (polynomial(b, r) * r + 1);
}

export type GridSpacing = "linear" | "normal";

/**
 * The n coordinates of one axis of the manifold grid: evenly spaced in [-extent, extent], or the standard normal
 * quantiles of evenly spaced probabilities in (0, 1) (Kingma & Welling's Fig. 4: equal prior mass per cell).
 */
export function gridAxis(n: number, spacing: GridSpacing, extent = 3): number[] {
  return Array.from({ length: n }, (_, i) => {
    if (spacing === "normal") return inverseNormalCdf((i + 0.5) / n);
    return n === 1 ? 0 : -extent + (2 * extent * i) / (n - 1);
  });
}

/** The grid's z points, row by row from the top (largest y) down, x increasing along a row. */
export function gridPoints(n: number, spacing: GridSpacing, extent = 3): [number, number][] {
  const axis = gridAxis(n, spacing, extent);
  const points: [number, number][] = [];
  for (let row = n - 1; row >= 0; row--) for (const x of axis) points.push([x, axis[row]]);
  return points;
}

/** Points evenly spaced on the segment from a to b, both ends included. */
export function interpolate(a: [number, number], b: [number, number], steps: number): [number, number][] {
  return Array.from({ length: steps }, (_, i) => {
    const t = steps === 1 ? 0 : i / (steps - 1);
    return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
  });
}

/**
 * A drawn digit (grayscale, ink as high values, any square size) made MNIST-like: the ink's bounding box scaled
 * to fit 20x20 keeping its aspect ratio (area averaging), placed in 28x28 so that its centre of mass is at the
 * centre, values in [0, 1]. An empty drawing gives all zeros.
 */
export function toMnistDigit(gray: Float32Array | Uint8ClampedArray, width: number, height: number, scale = 1): Float32Array {
  const out = new Float32Array(DIGIT_PIXELS);
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  const threshold = 0.05 * scale;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x] > threshold) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return out;
  const boxW = x1 - x0 + 1;
  const boxH = y1 - y0 + 1;
  const factor = 20 / Math.max(boxW, boxH);
  const w = Math.max(1, Math.round(boxW * factor));
  const h = Math.max(1, Math.round(boxH * factor));
  // Area-average the box down to w x h.
  const small = new Float32Array(w * h);
  const counts = new Float32Array(w * h);
  for (let y = y0; y <= y1; y++) {
    const sy = Math.min(h - 1, Math.floor(((y - y0) * h) / boxH));
    for (let x = x0; x <= x1; x++) {
      const sx = Math.min(w - 1, Math.floor(((x - x0) * w) / boxW));
      small[sy * w + sx] += gray[y * width + x] / scale;
      counts[sy * w + sx] += 1;
    }
  }
  let mass = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < small.length; i++) {
    small[i] = counts[i] ? Math.min(1, small[i] / counts[i]) : 0;
    mass += small[i];
    cx += small[i] * (i % w);
    cy += small[i] * Math.floor(i / w);
  }
  // Shift so the centre of mass lands on the centre of the 28x28 frame (pixel index 13.5), kept inside it.
  const ox = Math.max(0, Math.min(DIGIT_SIDE - w, Math.round(13.5 - cx / mass)));
  const oy = Math.max(0, Math.min(DIGIT_SIDE - h, Math.round(13.5 - cy / mass)));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[(y + oy) * DIGIT_SIDE + x + ox] = small[y * w + x];
  return out;
}

/** The p-quantile (0-1) of ascending values: the value at rank ⌊p (n − 1)⌋. */
function quantile(sorted: Float32Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * (sorted.length - 1))))];
}

/**
 * The range of one axis that holds the bulk of its codes: the 1st to 99th percentile, narrowed to Tukey's fences
 * (the quartiles ± 1.5 interquartile ranges) where the tails are long. For near-Gaussian codes (the VAE's, PCA's)
 * the fences lie outside the percentiles, which decide. The deep autoencoder's codes run out in long arms: its 1s
 * and 7s, a fifth of the digits, reach ten times further than the rest, so even their 99th percentile would
 * squeeze the other eight digits into a corner; the fences show the fan of all ten, as in Hinton & Salakhutdinov's
 * Fig. 3B, with the far ends of the two long arms past the edge. Non-finite values are ignored.
 */
export function bulkRange(values: ArrayLike<number>): [number, number] {
  const sorted = Float32Array.from(values).filter(Number.isFinite).sort();
  if (sorted.length === 0) return [0, 0];
  const [q1, q3] = [quantile(sorted, 0.25), quantile(sorted, 0.75)];
  const fence = 1.5 * (q3 - q1);
  return [Math.max(quantile(sorted, 0.01), q1 - fence), Math.min(quantile(sorted, 0.99), q3 + fence)];
}

/** A square view of a plane: its centre and side in latent units. */
export interface PlaneView {
  cx: number;
  cy: number;
  span: number;
}

/**
 * The square view that fits the bulk of 2-D codes ((x, y) pairs): each axis's bulkRange, the wider of the two as
 * the side, with a margin of `margin` (a fraction of the side), and how many codes it leaves outside. With `labels`
 * (one per code), the bulk of each label's codes, all of them in view: a digit that a model put far from the rest is
 * shown whole rather than cut off as an outlier.
 */
export function fitBulk(codes: Float32Array, { margin = 0.15, labels }: { margin?: number; labels?: ArrayLike<number> } = {}): PlaneView & { outside: number } {
  const n = Math.floor(codes.length / 2);
  const groups = new Map<number, { xs: number[]; ys: number[] }>();
  for (let i = 0; i < n; i++) {
    const label = labels ? labels[i] : 0;
    let group = groups.get(label);
    if (!group) groups.set(label, (group = { xs: [], ys: [] }));
    group.xs.push(codes[2 * i]);
    group.ys.push(codes[2 * i + 1]);
  }
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (const { xs, ys } of groups.values()) {
    const [[gx0, gx1], [gy0, gy1]] = [bulkRange(xs), bulkRange(ys)];
    [x0, x1, y0, y1] = [Math.min(x0, gx0), Math.max(x1, gx1), Math.min(y0, gy0), Math.max(y1, gy1)];
  }
  if (groups.size === 0) [x0, x1, y0, y1] = [0, 0, 0, 0];
  const span = Math.max(x1 - x0, y1 - y0, 1e-6) * (1 + margin);
  const view = { cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, span };
  let outside = 0;
  for (let i = 0; i < n; i++) if (!(Math.abs(codes[2 * i] - view.cx) <= span / 2 && Math.abs(codes[2 * i + 1] - view.cy) <= span / 2)) outside++;
  return { ...view, outside };
}
