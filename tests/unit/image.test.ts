import { describe, expect, it } from "vitest";
import { bytesToFloats, floatImage, floatsToBytes, grayFloatsToRgba, rgbaToRgbFloats, rgbFloatsToRgba } from "@/lib/image";

describe("image conversion", () => {
  it("round-trips bytes through floats exactly", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(floatsToBytes(bytesToFloats(bytes)))).toEqual(Array.from(bytes));
  });

  it("clips and rounds floats to bytes", () => {
    expect(Array.from(floatsToBytes(new Float32Array([-0.2, 0.5, 1.7, 0.0019])))).toEqual([0, 128, 255, 0]);
  });

  it("drops alpha by compositing on white", () => {
    const rgba = new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128]);
    const rgb = rgbaToRgbFloats(rgba);
    expect(Array.from(rgb.subarray(0, 6))).toEqual([1, 0, 0, 1, 1, 1]);
    expect(rgb[6]).toBeCloseTo(1 - 128 / 255, 6);
  });

  it("round-trips opaque RGBA through float RGB", () => {
    const rgba = new Uint8ClampedArray([10, 20, 30, 255, 200, 100, 0, 255]);
    expect(Array.from(rgbFloatsToRgba(rgbaToRgbFloats(rgba)))).toEqual(Array.from(rgba));
  });

  it("turns grey floats into opaque grey RGBA", () => {
    expect(Array.from(grayFloatsToRgba(new Float32Array([0, 1])))).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it("checks shapes", () => {
    expect(() => floatImage(new Float32Array(11), 2, 2, 3)).toThrow(/expected 2x2x3 = 12 values, got 11/);
    expect(() => rgbaToRgbFloats(new Uint8Array(5))).toThrow(/multiple of 4/);
  });
});
