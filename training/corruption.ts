import { applyNoise, type NoiseSpec, quantize8Bit } from "../lib/noise";
import type { Random } from "../lib/random";

/**
 * The blind training mix: one corruption drawn per image, so that a single model serves every setting of the demo
 * (the mix measured in ../shared/docs/dae-anchors.md). Noisy inputs are rounded to 8 bits, as a real noisy photo is.
 */
export function drawCorruption(random: Random): NoiseSpec {
  const u = random.uniform();
  if (u < 0.55) return { kind: "gaussian", level: 0.3 * random.uniform() };
  if (u < 0.7) return { kind: "salt-pepper", level: 0.2 * random.uniform() };
  if (u < 0.85) return { kind: "masking", level: 0.6 * random.uniform() };
  return { kind: "none", level: 0 };
}

export function corrupt(image: Float32Array, random: Random): Float32Array {
  const seed = Math.floor(random.uniform() * 2 ** 32);
  return quantize8Bit(applyNoise(image, drawCorruption(random), seed));
}
