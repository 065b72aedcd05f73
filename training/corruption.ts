import { applyNoise, type NoiseSpec, quantize8Bit } from "../lib/noise";
import type { Random } from "../lib/random";

/** The share of images corrupted by impulse noise, half salt-and-pepper and half masking: the anchors' mix. */
export const DEFAULT_IMPULSE_SHARE = 0.3;
/** The share of images left clean, so the model learns to leave a clean photo alone. */
const CLEAN_SHARE = 0.15;

/**
 * The blind training mix: one corruption drawn per image, so that a single model serves every setting of the demo
 * (by default the mix measured in ../shared/docs/dae-anchors.md: gaussian 55%, salt-and-pepper 15%, masking 15%,
 * none 15%). `impulseShare` moves images between gaussian noise and the impulse noises. Noisy inputs are rounded
 * to 8 bits, as a real noisy photo is.
 */
export function drawCorruption(random: Random, impulseShare = DEFAULT_IMPULSE_SHARE): NoiseSpec {
  const u = random.uniform();
  const gaussianShare = 1 - CLEAN_SHARE - impulseShare;
  if (u < gaussianShare) return { kind: "gaussian", level: 0.3 * random.uniform() };
  if (u < gaussianShare + impulseShare / 2) return { kind: "salt-pepper", level: 0.2 * random.uniform() };
  if (u < gaussianShare + impulseShare) return { kind: "masking", level: 0.6 * random.uniform() };
  return { kind: "none", level: 0 };
}

export function corrupt(image: Float32Array, random: Random, impulseShare = DEFAULT_IMPULSE_SHARE): Float32Array {
  const seed = Math.floor(random.uniform() * 2 ** 32);
  return quantize8Bit(applyNoise(image, drawCorruption(random, impulseShare), seed));
}
