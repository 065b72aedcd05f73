import { describe, expect, it } from "vitest";
import { pixelImage } from "@/lib/image";
import { meanSquaredError, psnr, ssim } from "@/lib/metrics";

const constant = (value: number, width = 16, height = 16, channels = 3) =>
  pixelImage(new Float32Array(width * height * channels).fill(value), width, height, channels);

/** A 12x13 single-channel pattern and a smooth perturbation of it (both also used by the NumPy reference below). */
function referencePair() {
  const [width, height] = [12, 13];
  const x = new Float32Array(width * height);
  const y = new Float32Array(width * height);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      x[i * width + j] = ((i * 7 + j * 3) % 11) / 10;
      y[i * width + j] = Math.min(1, Math.max(0, x[i * width + j] + 0.1 * Math.sin(i + 2 * j)));
    }
  }
  return [pixelImage(x, width, height, 1), pixelImage(y, width, height, 1)] as const;
}

describe("psnr", () => {
  it("is infinite for identical images", () => {
    expect(psnr(constant(0.3), constant(0.3))).toBe(Infinity);
  });

  it("is -20 log10(d) for a constant shift d", () => {
    for (const shift of [0.01, 0.1, 0.25]) {
      expect(psnr(constant(0.5), constant(0.5 + shift))).toBeCloseTo(-20 * Math.log10(shift), 4);
    }
  });

  it("uses the mean over every component", () => {
    const a = pixelImage(new Float32Array([0, 0, 0, 0]), 2, 2, 1);
    const b = pixelImage(new Float32Array([1, 0, 0, 0]), 2, 2, 1);
    expect(meanSquaredError(a, b)).toBe(0.25);
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(4), 10);
  });

  it("refuses images of different shapes", () => {
    expect(() => psnr(constant(0, 16, 16), constant(0, 16, 17))).toThrow(/differ in shape/);
  });
});

describe("ssim", () => {
  it("is 1 for identical images", () => {
    const [x] = referencePair();
    expect(ssim(x, x)).toBeCloseTo(1, 12);
  });

  it("reduces to the luminance term for a constant image and a constant shift", () => {
    // Flat images have zero variance and covariance, so every window gives (2ab + C1) / (a² + b² + C1).
    const [a, b] = [Math.fround(0.4), Math.fround(0.55)]; // as stored in the Float32Array
    const c1 = 0.01 ** 2;
    expect(ssim(constant(a), constant(b))).toBeCloseTo((2 * a * b + c1) / (a * a + b * b + c1), 10);
  });

  it("matches a NumPy/SciPy reference on a small case with several windows", () => {
    // Reference: scipy.ndimage.correlate with the normalised 11x11 gaussian (σ 1.5) outer product, cropped to the
    // valid 3x2 region, Wang et al.'s formula, mean of the map; computed for the same pair: 0.9799732601014416.
    const [x, y] = referencePair();
    expect(ssim(x, y)).toBeCloseTo(0.9799732601014416, 6);
    expect(psnr(x, y)).toBeCloseTo(23.81016237801733, 4);
  });

  it("averages over channels", () => {
    const [x, y] = referencePair();
    const rgb = (g: typeof x, other: typeof x) => {
      const data = new Float32Array(g.data.length * 3);
      for (let p = 0; p < g.data.length; p++) data.set([g.data[p], other.data[p], g.data[p]], p * 3);
      return pixelImage(data, g.width, g.height, 3);
    };
    // Channels: (x vs y), (y vs y), (x vs y): mean = (2 s + 1) / 3.
    const s = ssim(x, y);
    expect(ssim(rgb(x, y), rgb(y, y))).toBeCloseTo((2 * s + 1) / 3, 10);
  });

  it("falls as noise grows", () => {
    const [x] = referencePair();
    const noisy = (amount: number) =>
      pixelImage(x.data.map((v, i) => Math.min(1, Math.max(0, v + amount * Math.sin(i * 12.9898)))), x.width, x.height, 1);
    expect(ssim(x, noisy(0.05))).toBeGreaterThan(ssim(x, noisy(0.2)));
  });

  it("refuses images smaller than the window", () => {
    expect(() => ssim(constant(0, 10, 10), constant(0, 10, 10))).toThrow(/at least 11x11/);
  });
});
