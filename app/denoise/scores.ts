import { cropImage, type PixelImage } from "@/lib/image";
import { psnr, SSIM_WINDOW, ssim } from "@/lib/metrics";
import { estimateNoiseSigma, NOISE_ESTIMATE_MIN_SIDE } from "@/lib/noise-estimate";

/**
 * What the page can honestly say about a result. With a clean original (noise was added here): PSNR and SSIM of
 * the noisy and the denoised image against it. Without one (the visitor's photo is already noisy): no score
 * against an original, but the noise level estimated from each image alone (lib/noise-estimate.ts).
 */

export type Scores =
  | { kind: "reference"; psnrNoisy: number; psnrDenoised: number; ssimNoisy?: number; ssimDenoised?: number }
  | { kind: "no-reference"; sigmaNoisy?: number; sigmaDenoised?: number };

/** SSIM's windowed statistics cost about 100 operations a pixel: beyond this many pixels the page leaves it out. */
const SSIM_MAX_PIXELS = 1_500_000;
/** The noise estimate sorts a quarter of the pixels: beyond this, a centred region of this many is measured. */
const ESTIMATE_MAX_SIDE = 1024;

/** A centred region of at most `side` x `side` (the whole image when it is smaller). */
function centred(image: PixelImage, side: number): PixelImage {
  const width = Math.min(side, image.width);
  const height = Math.min(side, image.height);
  return cropImage(image, { x: Math.floor((image.width - width) / 2), y: Math.floor((image.height - height) / 2), width, height });
}

const estimate = (image: PixelImage) =>
  image.width >= NOISE_ESTIMATE_MIN_SIDE && image.height >= NOISE_ESTIMATE_MIN_SIDE ? estimateNoiseSigma(centred(image, ESTIMATE_MAX_SIDE)) : undefined;

export function computeScores({ clean, noisy, denoised, hasReference }: { clean: PixelImage; noisy: PixelImage; denoised: PixelImage; hasReference: boolean }): Scores {
  if (!hasReference) return { kind: "no-reference", sigmaNoisy: estimate(noisy), sigmaDenoised: estimate(denoised) };
  const pixels = clean.width * clean.height;
  const withSsim = pixels <= SSIM_MAX_PIXELS && clean.width >= SSIM_WINDOW && clean.height >= SSIM_WINDOW;
  return {
    kind: "reference",
    psnrNoisy: psnr(clean, noisy),
    psnrDenoised: psnr(clean, denoised),
    ...(withSsim ? { ssimNoisy: ssim(clean, noisy), ssimDenoised: ssim(clean, denoised) } : {}),
  };
}
