import { type PixelImage, valueScale } from "./image";

/**
 * A no-reference estimate of an image's noise level, for a photo that is already noisy and has no clean original
 * to score against: Donoho & Johnstone's median-absolute-deviation estimate (Biometrika 1994, "Ideal spatial
 * adaptation by wavelet shrinkage"), σ = median(|HH1|) / 0.6745, on the finest diagonal detail coefficients of a
 * wavelet transform. Natural images have few strong diagonal details at the finest scale, so the median of their
 * magnitudes is set by the noise; 0.6745 is the median of |N(0, 1)|. With an orthonormal wavelet, white gaussian
 * noise of standard deviation σ gives coefficients of standard deviation σ, so the estimate is in the image's own
 * units: values in [0, 1], the same σ as the page's gaussian slider.
 *
 * The wavelet is Daubechies' db2 (four taps, two vanishing moments), as scikit-image's `estimate_sigma` uses: its
 * high-pass filter ignores linear ramps, so smooth shading does not count as noise (Haar's does not ignore them).
 * Only "valid" positions are used (the filter inside the image), so the borders add nothing. Each channel is
 * estimated on its own and the estimates are averaged, as `estimate_sigma(..., average_sigmas=True)` does.
 *
 * This is twenty lines of arithmetic; a wavelet package would bring a whole transform library for one subband.
 */

/** Daubechies 2 decomposition high-pass filter (PyWavelets' `pywt.Wavelet("db2").dec_hi`), unit norm. */
const DB2_HIGH_PASS = ((s3, norm) => [-(1 + s3) / norm, (3 + s3) / norm, -(3 - s3) / norm, (1 - s3) / norm])(Math.sqrt(3), 4 * Math.SQRT2);
const TAPS = DB2_HIGH_PASS.length;
/** The median of |N(0, 1)|. */
const MAD_TO_SIGMA = 0.6744897501960817;

/** The smallest side the estimate accepts: a few finest-scale coefficients each way. */
export const NOISE_ESTIMATE_MIN_SIDE = 8;

/** Coefficients of the filter sliding with stride 2 over `n` samples, valid positions only. */
const validOutputs = (n: number) => Math.floor((n - TAPS) / 2) + 1;

/** The finest diagonal (high-high) detail coefficients of one channel. */
function diagonalDetails(image: PixelImage, channel: number): Float64Array {
  const { data, width, height, channels } = image;
  const scale = valueScale(data);
  const outW = validOutputs(width);
  const outH = validOutputs(height);
  // High-pass along each row, then along each column of the result.
  const rows = new Float64Array(height * outW);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let k = 0; k < TAPS; k++) sum += DB2_HIGH_PASS[k] * data[(y * width + 2 * x + k) * channels + channel];
      rows[y * outW + x] = sum * scale;
    }
  }
  const out = new Float64Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (let k = 0; k < TAPS; k++) sum += DB2_HIGH_PASS[k] * rows[(2 * y + k) * outW + x];
      out[y * outW + x] = sum;
    }
  }
  return out;
}

function median(values: Float64Array): number {
  const sorted = values.slice().sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The estimated standard deviation of the noise in `image` (values in [0, 1]; bytes count as value / 255),
 * averaged over its channels. Throws for an image under 8 pixels a side.
 */
export function estimateNoiseSigma(image: PixelImage): number {
  if (image.width < NOISE_ESTIMATE_MIN_SIDE || image.height < NOISE_ESTIMATE_MIN_SIDE) {
    throw new RangeError(`the noise estimate needs at least ${NOISE_ESTIMATE_MIN_SIDE}x${NOISE_ESTIMATE_MIN_SIDE} pixels, got ${image.width}x${image.height}`);
  }
  let total = 0;
  for (let c = 0; c < image.channels; c++) {
    const details = diagonalDetails(image, c).map(Math.abs);
    total += median(details) / MAD_TO_SIGMA;
  }
  return total / image.channels;
}
