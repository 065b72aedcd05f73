import { describe, expect, it } from "vitest";
import { daeTileOptions } from "@/lib/catalogue";
import { estimateMs, scaledTo, sizeChoices, tiledInputPixels, workingSize } from "@/lib/working-size";

/** The denoising page's default size: the largest copy of the photo this device runs within the budget. */

const tiles = daeTileOptions({ depth: 6, downsampling: 2 }); // 256-pixel cores, a margin of 22
// A measured 64x64 run of 40 ms: the speed of a middling CPU on WebAssembly.
const speed = { ms: 40, pixels: 64 * 64 };

describe("tiledInputPixels and estimateMs", () => {
  it("count each tile's core and margin, clipped to the image", () => {
    expect(tiledInputPixels(64, 64, tiles)).toBe(64 * 64);
    // Two cores side by side: each reads 22 pixels into the other.
    expect(tiledInputPixels(512, 256, tiles)).toBe(2 * (256 + 22) * 256);
    expect(estimateMs(64, 64, tiles, speed)).toBeCloseTo(40);
  });
});

describe("workingSize", () => {
  it("is the photo's own size when that fits the budget", () => {
    expect(workingSize({ width: 437, height: 512 }, tiles, speed, 20_000)).toEqual({ width: 437, height: 512 });
  });

  it("is the largest copy within the budget, with the photo's shape", () => {
    const photo = { width: 6000, height: 4000 };
    const size = workingSize(photo, tiles, speed, 2000);
    expect(estimateMs(size.width, size.height, tiles, speed)).toBeLessThanOrEqual(2000);
    const larger = scaledTo(photo, size.width + 1);
    expect(estimateMs(larger.width, larger.height, tiles, speed)).toBeGreaterThan(2000);
    expect(size.width / size.height).toBeCloseTo(1.5, 1);
    // 2 s at ~10 µs a pixel is about 200,000 pixels.
    expect(size.width * size.height).toBeGreaterThan(120_000);
    expect(size.width * size.height).toBeLessThan(200_000);
  });

  it("never goes under the model's 64 pixels, however slow the device, nor over the photo", () => {
    const slow = { ms: 13_000, pixels: 64 * 64 };
    expect(workingSize({ width: 6000, height: 4000 }, tiles, slow, 2000)).toEqual({ width: 64, height: 43 });
    expect(workingSize({ width: 40, height: 30 }, tiles, slow, 2000)).toEqual({ width: 40, height: 30 });
  });
});

describe("sizeChoices", () => {
  it("offers the working size, round sizes above it, and the photo's own", () => {
    const photo = { width: 6000, height: 4000 };
    expect(sizeChoices(photo, scaledTo(photo, 600)).map((s) => `${s.width}x${s.height}`)).toEqual(["600x400", "1024x683", "2048x1365", "4096x2731", "6000x4000"]);
    expect(sizeChoices({ width: 437, height: 512 }, { width: 437, height: 512 })).toEqual([{ width: 437, height: 512 }]);
  });
});
