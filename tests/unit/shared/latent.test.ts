import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DIGIT_SIDE, EMBEDDING_IDS, LATENT_LABELS_PATH, latentCodesPath } from "@/lib/catalogue";
import { bulkRange, fitBulk, gridAxis, gridPoints, interpolate, inverseNormalCdf, toMnistDigit } from "@/lib/latent";
import { createRandom } from "@/lib/random";

describe("inverseNormalCdf", () => {
  it("matches known quantiles", () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 12);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 6);
    expect(inverseNormalCdf(0.05)).toBeCloseTo(-1.644854, 6);
    expect(inverseNormalCdf(0.001)).toBeCloseTo(-3.090232, 6);
    expect(inverseNormalCdf(1e-9)).toBeCloseTo(-5.997807, 5);
  });

  it("is antisymmetric about 0.5 and is infinite at 0 and 1", () => {
    for (const p of [0.01, 0.02, 0.3]) expect(inverseNormalCdf(1 - p)).toBeCloseTo(-inverseNormalCdf(p), 8);
    expect(inverseNormalCdf(0)).toBe(-Infinity);
    expect(inverseNormalCdf(1)).toBe(Infinity);
    expect(inverseNormalCdf(1.5)).toBeNaN();
  });

  it("matches known quantiles and is odd about 0.5", () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormalCdf(0.01)).toBeCloseTo(-2.326348, 5);
    expect(inverseNormalCdf(0.3)).toBeCloseTo(-inverseNormalCdf(0.7), 9);
  });
});

describe("grids and interpolation", () => {
  it("linear and normal-quantile axes", () => {
    expect(gridAxis(3, "linear", 2)).toEqual([-2, 0, 2]);
    const normal = gridAxis(4, "normal");
    expect(normal[0]).toBeCloseTo(inverseNormalCdf(0.125), 9);
    expect(normal[3]).toBeCloseTo(-normal[0], 9);
    const points = gridPoints(2, "linear", 1);
    expect(points).toEqual([[-1, 1], [1, 1], [-1, -1], [1, -1]]);
  });

  it("interpolates both ends included", () => {
    expect(interpolate([0, 0], [1, 2], 3)).toEqual([[0, 0], [0.5, 1], [1, 2]]);
  });
});

describe("toMnistDigit", () => {
  it("fits the ink into 20x20 and puts its centre of mass at the centre", () => {
    const side = 280;
    const gray = new Float32Array(side * side);
    // A thick vertical bar in the top-left corner.
    for (let y = 10; y < 110; y++) for (let x = 20; x < 50; x++) gray[y * side + x] = 1;
    const digit = toMnistDigit(gray, side, side);
    let mass = 0;
    let cx = 0;
    let cy = 0;
    let rows = 0;
    for (let y = 0; y < DIGIT_SIDE; y++) {
      let inRow = false;
      for (let x = 0; x < DIGIT_SIDE; x++) {
        const v = digit[y * DIGIT_SIDE + x];
        mass += v;
        cx += v * x;
        cy += v * y;
        if (v > 0) inRow = true;
      }
      if (inRow) rows++;
    }
    expect(rows).toBe(20);
    expect(cx / mass).toBeGreaterThan(12.5);
    expect(cx / mass).toBeLessThan(14.5);
    expect(cy / mass).toBeGreaterThan(12.5);
    expect(cy / mass).toBeLessThan(14.5);
    expect(Math.max(...digit)).toBeLessThanOrEqual(1);
  });

  it("an empty pad gives zeros", () => {
    expect(toMnistDigit(new Float32Array(100), 10, 10).every((v) => v === 0)).toBe(true);
  });
});

describe("fitting a plane to the bulk of its codes", () => {
  const random = createRandom(5);
  const gaussian = (n: number) => Float32Array.from({ length: n }, () => random.normal());

  it("a Gaussian axis: the 1st to 99th percentile", () => {
    const [low, high] = bulkRange(gaussian(20_000));
    expect(low).toBeCloseTo(-2.326, 1);
    expect(high).toBeCloseTo(2.326, 1);
  });

  it("a long arm (a fifth of the codes, far out) stops at Tukey's fence instead", () => {
    const values = Float32Array.from([...gaussian(8000), ...Array.from({ length: 2000 }, () => 40 + 5 * random.normal())]);
    const [low, high] = bulkRange(values);
    expect(low).toBeCloseTo(-2.326, 0);
    // The 99th percentile is about 50; the fence, 1.5 interquartile ranges above the upper quartile, is near 5.
    expect(high).toBeGreaterThan(2);
    expect(high).toBeLessThan(8);
  });

  it("ignores non-finite values and survives no values", () => {
    expect(bulkRange(Float32Array.from([NaN, -Infinity, ...Array.from({ length: 101 }, (_, i) => i + 1), Infinity]))).toEqual([2, 100]);
    expect(bulkRange(new Float32Array(0))).toEqual([0, 0]);
    expect(fitBulk(new Float32Array(0)).outside).toBe(0);
  });

  it("a square view with a margin, counting the codes left outside", () => {
    const view = fitBulk(Float32Array.from([0, 0, 10, 2, 0, 2, 10, 0, 1000, 0]), { margin: 0.1 });
    expect(view.span).toBeCloseTo(11, 6);
    expect(view.cx).toBeCloseTo(5, 6);
    expect(view.cy).toBeCloseTo(1, 6);
    expect(view.outside).toBe(1);
  });

  it("with labels, every label's bulk in view: a group far from the rest is no outlier", () => {
    // 40 codes of digit 0 around the origin, 4 of digit 1 around (100, 0): a tenth of all, past the joint fences.
    const zeros = Array.from({ length: 40 }, (_, i) => [i % 5, Math.floor(i / 5) % 4]).flat();
    const ones = [100, 0, 101, 0, 100, 1, 101, 1];
    const codes = Float32Array.from([...zeros, ...ones]);
    const labels = [...Array(40).fill(0), 1, 1, 1, 1];
    expect(fitBulk(codes).outside).toBe(4);
    const view = fitBulk(codes, { labels, margin: 0 });
    expect(view.outside).toBe(0);
    expect(view.span).toBeCloseTo(101, 6);
    expect(view.cx).toBeCloseTo(50.5, 6);
  });

  it("the shipped codes: every digit's bulk in view in each plane, as the page fits them (by digit)", () => {
    const labels = Array.from(readFileSync(`models/${LATENT_LABELS_PATH}`));
    for (const id of EMBEDDING_IDS) {
      const bytes = readFileSync(`models/${latentCodesPath(id)}`);
      const codes = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
      const view = fitBulk(codes, { labels });
      const [inside, total] = [Array(10).fill(0), Array(10).fill(0)];
      labels.forEach((label, i) => {
        total[label]++;
        if (Math.abs(codes[2 * i] - view.cx) <= view.span / 2 && Math.abs(codes[2 * i + 1] - view.cy) <= view.span / 2) inside[label]++;
      });
      // Each digit's bulk, at least, is shown: within the fences of each of its axes lie most of its codes.
      for (const [digit, n] of inside.entries()) expect(n / total[digit], `${id}: digit ${digit}`).toBeGreaterThan(0.9);
      expect(view.outside / labels.length, id).toBeLessThan(0.03);
    }
  });
});
