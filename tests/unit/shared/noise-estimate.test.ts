import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { pixelImage } from "@/lib/image";
import { addNoise, gaussianNoise } from "@/lib/noise";
import { estimateNoiseSigma } from "@/lib/noise-estimate";
import { createRandom } from "@/lib/random";

/**
 * The no-reference noise estimate (Donoho & Johnstone's MAD on the finest diagonal db2 details), against images
 * with a known amount of gaussian noise added: a smooth synthetic image in mid-range (no clipping, so the true σ is
 * exactly the one added) and real 64x64 faces from the fixtures, noised and rounded to 8 bits as the page does.
 */

/** 256x256 RGB floats between 0.25 and 0.75: ramps and a soft disc, the kind of content the estimate must ignore. */
function smoothImage(): Float32Array {
  const side = 256;
  const out = new Float32Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const disc = Math.exp(-((x - 150) ** 2 + (y - 100) ** 2) / (2 * 40 ** 2));
      for (let c = 0; c < 3; c++) out[(y * side + x) * 3 + c] = 0.25 + 0.3 * (x / side) * (c === 0 ? 1 : 0.5) + 0.2 * (y / side) + 0.2 * disc * (c === 2 ? 0.5 : 1) - 0.1 * (c === 1 ? disc : 0);
    }
  }
  return out;
}

const faces = readFileSync("tests/fixtures/faces-small.u8");
const face = (i: number) => pixelImage(new Uint8ClampedArray(faces.subarray(i * 64 * 64 * 3, (i + 1) * 64 * 64 * 3)), 64, 64);

describe("estimateNoiseSigma", () => {
  it("finds the σ added to a smooth image within 5%, and next to nothing without noise", () => {
    const clean = smoothImage();
    expect(clean.reduce((a, b) => Math.min(a, b))).toBeGreaterThan(0.1);
    expect(clean.reduce((a, b) => Math.max(a, b))).toBeLessThan(0.9);
    expect(estimateNoiseSigma(pixelImage(clean, 256, 256))).toBeLessThan(0.001);
    for (const sigma of [0.01, 0.03, 0.1, 0.15]) {
      const estimate = estimateNoiseSigma(pixelImage(gaussianNoise(clean, sigma, createRandom(42)), 256, 256));
      console.log(`smooth image, σ ${sigma}: estimated ${estimate.toFixed(4)}`);
      expect(estimate / sigma, `σ ${sigma}`).toBeGreaterThan(0.95);
      expect(estimate / sigma, `σ ${sigma}`).toBeLessThan(1.05);
    }
  });

  it("finds the σ added to real 8-bit faces within 15% (σ 0.05 and 0.1), and a clean face reads far lower", () => {
    for (let i = 0; i < 16; i++) {
      const clean = estimateNoiseSigma(face(i));
      const light = estimateNoiseSigma(addNoise(face(i), { kind: "gaussian", level: 0.05 }, i + 1));
      const heavy = estimateNoiseSigma(addNoise(face(i), { kind: "gaussian", level: 0.1 }, i + 1));
      expect(clean, `face ${i}`).toBeLessThan(0.02);
      expect(Math.abs(light / 0.05 - 1), `face ${i}, σ 0.05: ${light}`).toBeLessThan(0.15);
      expect(Math.abs(heavy / 0.1 - 1), `face ${i}, σ 0.1: ${heavy}`).toBeLessThan(0.15);
    }
  });

  it("reads bytes and floats alike, averages the channels, and refuses images too small to measure", () => {
    const noisy = addNoise(face(0), { kind: "gaussian", level: 0.1 }, 3);
    const asFloats = pixelImage(Float32Array.from(noisy.data, (v) => v / 255), 64, 64);
    expect(estimateNoiseSigma(asFloats)).toBeCloseTo(estimateNoiseSigma(noisy), 6);
    // One channel noisy, two clean: about a third of the σ.
    const mixed = Uint8ClampedArray.from(face(0).data, (v, i) => (i % 3 === 0 ? noisy.data[i] : v));
    const third = estimateNoiseSigma(pixelImage(mixed, 64, 64));
    expect(third).toBeGreaterThan(0.025);
    expect(third).toBeLessThan(0.045);
    expect(() => estimateNoiseSigma(pixelImage(new Uint8ClampedArray(7 * 64 * 3), 7, 64))).toThrow(/at least 8x8/);
  });
});
