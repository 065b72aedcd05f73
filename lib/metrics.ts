import { type PixelImage, valueScale } from "./image";

/**
 * Image quality metrics for images in [0, 1] (bytes count as value / 255, read in place: no float copies). PSNR and SSIM as in Wang, Bovik, Sheikh & Simoncelli (2004): an 11x11
 * gaussian window with σ 1.5, K1 0.01, K2 0.03, computed over the window positions that fit inside the image
 * ("valid"), per channel, then averaged over channels.
 */

function assertSameShape(a: PixelImage, b: PixelImage): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new RangeError(
      `images differ in shape: ${a.width}x${a.height}x${a.channels} vs ${b.width}x${b.height}x${b.channels}`,
    );
  }
}

export function meanSquaredError(a: PixelImage, b: PixelImage): number {
  assertSameShape(a, b);
  const [sa, sb] = [valueScale(a.data), valueScale(b.data)];
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] * sa - b.data[i] * sb;
    sum += d * d;
  }
  return sum / a.data.length;
}

/** Peak signal-to-noise ratio in dB for a peak value of 1; Infinity for identical images. */
export function psnr(a: PixelImage, b: PixelImage): number {
  const mse = meanSquaredError(a, b);
  return mse === 0 ? Infinity : -10 * Math.log10(mse);
}

export const SSIM_WINDOW = 11;
const SSIM_SIGMA = 1.5;
const C1 = 0.01 ** 2;
const C2 = 0.03 ** 2;

function gaussianKernel1d(size: number, sigma: number): Float64Array {
  const kernel = new Float64Array(size);
  const centre = (size - 1) / 2;
  let total = 0;
  for (let i = 0; i < size; i++) {
    kernel[i] = Math.exp(-((i - centre) ** 2) / (2 * sigma * sigma));
    total += kernel[i];
  }
  return kernel.map((v) => v / total);
}

const WINDOW = gaussianKernel1d(SSIM_WINDOW, SSIM_SIGMA);

/** Separable 'valid' gaussian filtering of one H x W plane: (H-10) x (W-10) out. */
function filterValid(plane: Float64Array, width: number, height: number): Float64Array {
  const outW = width - SSIM_WINDOW + 1;
  const outH = height - SSIM_WINDOW + 1;
  const rows = new Float64Array(height * outW);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) sum += WINDOW[k] * plane[y * width + x + k];
      rows[y * outW + x] = sum;
    }
  }
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let k = 0; k < SSIM_WINDOW; k++) sum += WINDOW[k] * rows[(y + k) * outW + x];
      out[y * outW + x] = sum;
    }
  }
  return out;
}

function channelPlane(image: PixelImage, channel: number): Float64Array {
  const scale = valueScale(image.data);
  const plane = new Float64Array(image.width * image.height);
  for (let p = 0; p < plane.length; p++) plane[p] = image.data[p * image.channels + channel] * scale;
  return plane;
}

function channelSsim(a: PixelImage, b: PixelImage, channel: number): number {
  const { width, height } = a;
  const x = channelPlane(a, channel);
  const y = channelPlane(b, channel);
  const xy = x.map((v, i) => v * y[i]);
  const [muX, muY] = [filterValid(x, width, height), filterValid(y, width, height)];
  const [xxF, yyF] = [filterValid(x.map((v) => v * v), width, height), filterValid(y.map((v) => v * v), width, height)];
  const xyF = filterValid(xy, width, height);
  let total = 0;
  for (let i = 0; i < muX.length; i++) {
    const mx = muX[i];
    const my = muY[i];
    const varX = xxF[i] - mx * mx;
    const varY = yyF[i] - my * my;
    const cov = xyF[i] - mx * my;
    total += ((2 * mx * my + C1) * (2 * cov + C2)) / ((mx * mx + my * my + C1) * (varX + varY + C2));
  }
  return total / muX.length;
}

/** Mean structural similarity, averaged over channels; 1 for identical images. */
export function ssim(a: PixelImage, b: PixelImage): number {
  assertSameShape(a, b);
  if (a.width < SSIM_WINDOW || a.height < SSIM_WINDOW) {
    throw new RangeError(`SSIM needs images of at least ${SSIM_WINDOW}x${SSIM_WINDOW}, got ${a.width}x${a.height}`);
  }
  let total = 0;
  for (let c = 0; c < a.channels; c++) total += channelSsim(a, b, c);
  return total / a.channels;
}

/** How a denoised image compares with its clean original, beside the noisy image it came from. */
export interface DenoisingScores {
  psnr: { noisy: number; denoised: number };
  /** null for an image smaller than SSIM's window. */
  ssim: { noisy: number; denoised: number } | null;
}

/**
 * PSNR and SSIM of the noisy and the denoised image against the clean one. SSIM costs about 100 operations a pixel
 * and channel: the server computes this in an inference thread, not on its event loop.
 */
export function denoisingScores(clean: PixelImage, noisy: PixelImage, denoised: PixelImage): DenoisingScores {
  const withSsim = clean.width >= SSIM_WINDOW && clean.height >= SSIM_WINDOW;
  return {
    psnr: { noisy: psnr(clean, noisy), denoised: psnr(clean, denoised) },
    ssim: withSsim ? { noisy: ssim(clean, noisy), denoised: ssim(clean, denoised) } : null,
  };
}
