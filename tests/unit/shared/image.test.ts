import { describe, expect, it } from "vitest";
import { bytesToFloats, centredCrop, cropImage, floatsToBytes, fromRgba, pixelImage, toBytes, toFloats, toRgba } from "@/lib/image";

describe("image conversion", () => {
  it("round-trips bytes through floats exactly", () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(Array.from(floatsToBytes(bytesToFloats(bytes)))).toEqual(Array.from(bytes));
    const image = pixelImage(Uint8ClampedArray.from(bytes.subarray(0, 12)), 2, 2);
    expect(toBytes(toFloats(image))).toEqual(image);
  });

  it("clips and rounds floats to bytes", () => {
    expect(Array.from(floatsToBytes(new Float32Array([-0.2, 0.5, 1.7, 0.0019])))).toEqual([0, 128, 255, 0]);
  });

  it("drops alpha by compositing on white", () => {
    const rgb = fromRgba(new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 0, 0, 10, 20, 30, 0, 0, 0, 0, 128]), 4, 1);
    expect(Array.from(rgb.data.subarray(0, 9))).toEqual([255, 0, 0, 255, 255, 255, 255, 255, 255]);
    expect(rgb.data[9]).toBe(Math.round(255 * (1 - 128 / 255)));
    expect(rgb.channels).toBe(3);
  });

  it("round-trips opaque RGBA through RGB, from bytes and from floats", () => {
    const rgba = new Uint8ClampedArray([10, 20, 30, 255, 200, 100, 0, 255]);
    const rgb = fromRgba(rgba, 2, 1);
    expect(Array.from(toRgba(rgb))).toEqual(Array.from(rgba));
    expect(Array.from(toRgba(toFloats(rgb)))).toEqual(Array.from(rgba));
  });

  it("turns a grey image into opaque grey RGBA", () => {
    expect(Array.from(toRgba(pixelImage(new Float32Array([0, 1]), 2, 1, 1)))).toEqual([0, 0, 0, 255, 255, 255, 255, 255]);
  });

  it("checks shapes", () => {
    expect(() => pixelImage(new Float32Array(11), 2, 2, 3)).toThrow(/expected 2x2x3 = 12 values, got 11/);
    expect(() => fromRgba(new Uint8Array(5), 1, 1)).toThrow(/RGBA/);
    expect(() => toRgba(pixelImage(new Float32Array(4), 1, 1, 4))).toThrow(/4-channel/);
  });

  it("the default crop is the largest centred square", () => {
    expect(centredCrop(600, 400)).toEqual({ x: 100, y: 0, size: 400 });
    expect(centredCrop(5, 8)).toEqual({ x: 0, y: 1, size: 5 });
  });
});

describe("cropImage", () => {
  it("cuts a rectangle out as an image of the same value type, and refuses one that leaves the image", () => {
    const image = pixelImage(Uint8ClampedArray.from({ length: 4 * 3 * 2 }, (_, i) => i), 4, 3, 2);
    const part = cropImage(image, { x: 1, y: 1, width: 2, height: 2 });
    expect(part).toMatchObject({ width: 2, height: 2, channels: 2 });
    expect(part.data).toBeInstanceOf(Uint8ClampedArray);
    expect(Array.from(part.data)).toEqual([10, 11, 12, 13, 18, 19, 20, 21]);
    expect(() => cropImage(image, { x: 3, y: 0, width: 2, height: 1 })).toThrow(/not inside a 4x3 image/);
  });
});
