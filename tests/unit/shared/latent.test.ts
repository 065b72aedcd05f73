import { describe, expect, it } from "vitest";
import { DIGIT_SIDE } from "@/lib/catalogue";
import { gridAxis, gridPoints, interpolate, inverseNormalCdf, toMnistDigit } from "@/lib/latent";

describe("inverseNormalCdf", () => {
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
