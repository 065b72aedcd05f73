import { describe, expect, it } from "vitest";
import { applyNoise, quantize8Bit } from "@/lib/noise";

const grey = (n: number, value = 0.5) => new Float32Array(n * 3).fill(value);

describe("applyNoise", () => {
  it("is reproducible from its seed and differs between seeds", () => {
    const image = grey(1000);
    const a = applyNoise(image, { kind: "gaussian", level: 0.1 }, 7);
    expect(applyNoise(image, { kind: "gaussian", level: 0.1 }, 7)).toEqual(a);
    expect(applyNoise(image, { kind: "gaussian", level: 0.1 }, 8)).not.toEqual(a);
  });

  it("gaussian noise has the requested standard deviation and stays in [0, 1]", () => {
    const image = grey(20000);
    const noisy = applyNoise(image, { kind: "gaussian", level: 0.1 }, 1);
    const deltas = noisy.map((v, i) => v - image[i]);
    const mean = deltas.reduce((s, v) => s + v, 0) / deltas.length;
    const std = Math.sqrt(deltas.reduce((s, v) => s + (v - mean) ** 2, 0) / deltas.length);
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(std).toBeGreaterThan(0.097);
    expect(std).toBeLessThan(0.103);
    const clipped = applyNoise(image, { kind: "gaussian", level: 1 }, 1);
    expect(Math.min(...clipped)).toBe(0);
    expect(Math.max(...clipped)).toBe(1);
  });

  it("salt-and-pepper hits a fraction p of whole pixels, half black, half white", () => {
    const pixels = 20000;
    const noisy = applyNoise(grey(pixels), { kind: "salt-pepper", level: 0.2 }, 3);
    let black = 0;
    let white = 0;
    for (let p = 0; p < pixels; p++) {
      const rgb = Array.from(noisy.subarray(p * 3, p * 3 + 3));
      if (rgb.every((v) => v === 0)) black++;
      else if (rgb.every((v) => v === 1)) white++;
      else expect(rgb).toEqual([0.5, 0.5, 0.5]);
    }
    expect((black + white) / pixels).toBeCloseTo(0.2, 1);
    expect(black / (black + white)).toBeCloseTo(0.5, 1);
  });

  it("masking zeroes a fraction p of components independently", () => {
    const noisy = applyNoise(grey(20000), { kind: "masking", level: 0.5 }, 4);
    const zeros = noisy.filter((v) => v === 0).length;
    expect(zeros / noisy.length).toBeCloseTo(0.5, 1);
    // Independent per component: some pixels keep one channel and lose another.
    let mixed = 0;
    for (let p = 0; p < 20000; p++) {
      const kept = Array.from(noisy.subarray(p * 3, p * 3 + 3)).filter((v) => v !== 0).length;
      if (kept === 1 || kept === 2) mixed++;
    }
    expect(mixed).toBeGreaterThan(10000);
  });

  it("'none' only clips", () => {
    expect(Array.from(applyNoise(new Float32Array([-0.5, 0.25, 2]), { kind: "none", level: 0 }, 0))).toEqual([0, 0.25, 1]);
  });

  it("rejects levels out of range or not finite", () => {
    expect(() => applyNoise(grey(1), { kind: "gaussian", level: -0.1 }, 0)).toThrow(RangeError);
    expect(() => applyNoise(grey(1), { kind: "masking", level: 1.5 }, 0)).toThrow(/must be in \[0, 1\]/);
    expect(() => applyNoise(grey(1), { kind: "salt-pepper", level: Number.NaN }, 0)).toThrow(RangeError);
  });
});

describe("quantize8Bit", () => {
  it("rounds to 256 levels and clips", () => {
    expect(Array.from(quantize8Bit(new Float32Array([0.5, 0.001, -1, 7])))).toEqual([
      Math.fround(128 / 255),
      0,
      0,
      1,
    ]);
  });
});
