import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { floatImage } from "@/lib/image";
import { parseBackendList } from "@/lib/inference/backends";
import { sniffImage } from "@/lib/inference/image-sniff";
import { tooManyPixelsMessage } from "@/lib/inference/limits";
import { addNoiseRgb, addNoiseRgbAsync, psnrRgb, rgbaToRgb, rgbToFloatImage } from "@/lib/inference/pixels";
import { sha256Hex, sha256HexSync } from "@/lib/inference/sha256";
import { psnr } from "@/lib/metrics";
import { applyNoise, quantize8Bit } from "@/lib/noise";
import { createRandom } from "@/lib/random";

const fixture = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/images/${name}`));

describe("sha256", () => {
  it("the pure-JS fallback agrees with node:crypto on every length around the block size", async () => {
    const random = createRandom(3);
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]) {
      const data = Uint8Array.from({ length }, () => Math.floor(random.uniform() * 256));
      const expected = createHash("sha256").update(data).digest("hex");
      expect(sha256HexSync(data), `length ${length}`).toBe(expected);
      expect(await sha256Hex(data)).toBe(expected);
    }
  });
});

describe("sniffImage", () => {
  it("reads format and size from the header", () => {
    expect(sniffImage(fixture("a-face.png"))).toEqual({ format: "png", width: 64, height: 64 });
    expect(sniffImage(fixture("c-wide.jpg"))).toEqual({ format: "jpeg", width: 96, height: 64 });
    // Stored size: the EXIF rotation is applied later, by the decoder.
    expect(sniffImage(fixture("d-rotated.jpg"))).toMatchObject({ format: "jpeg", width: 64, height: 64 });
  });

  it("turns away what is not an image", () => {
    expect(sniffImage(new TextEncoder().encode("hello, world\n"))).toBeNull();
    expect(sniffImage(new Uint8Array(0))).toBeNull();
    expect(sniffImage(new TextEncoder().encode('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'))?.format).toBe("svg");
  });

  it("says how big a too-big image is", () => {
    expect(tooManyPixelsMessage(6000, 5000)).toContain("30.0 megapixels");
    expect(tooManyPixelsMessage(6000, 5000)).toContain("limit is 25 megapixels");
  });
});

describe("parseBackendList", () => {
  it("keeps known names in order, once", () => {
    expect(parseBackendList("webgl,WASM,server,webgl,bogus")).toEqual(["webgl", "wasm", "server"]);
    expect(parseBackendList("")).toBeNull();
    expect(parseBackendList("bogus")).toBeNull();
    expect(parseBackendList(null)).toBeNull();
  });
});

describe("pixels", () => {
  const random = createRandom(9);
  const clean = { data: Uint8ClampedArray.from({ length: 64 * 64 * 3 }, () => Math.floor(random.uniform() * 256)), width: 64, height: 64 };

  it("a 64x64 image gets exactly lib/noise's noise, rounded to 8 bits", () => {
    const expected = quantize8Bit(applyNoise(rgbToFloatImage(clean).data, { kind: "gaussian", level: 0.1 }, 42));
    const noisy = rgbToFloatImage(addNoiseRgb(clean, { kind: "gaussian", level: 0.1 }, 42)).data;
    let maxDiff = 0;
    for (let i = 0; i < noisy.length; i++) maxDiff = Math.max(maxDiff, Math.abs(noisy[i] - expected[i]));
    expect(maxDiff).toBeLessThanOrEqual(1 / 255 + 1e-6);
  });

  it("the async version gives the same noise, band by band", async () => {
    const big = { data: Uint8ClampedArray.from({ length: 300 * 200 * 3 }, (_, i) => i % 256), width: 300, height: 200 };
    const spec = { kind: "salt-pepper" as const, level: 0.2 };
    expect(Array.from((await addNoiseRgbAsync(big, spec, 7)).data)).toEqual(Array.from(addNoiseRgb(big, spec, 7).data));
  });

  it("psnrRgb is lib/metrics' psnr", () => {
    const noisy = addNoiseRgb(clean, { kind: "gaussian", level: 0.2 }, 1);
    const a = rgbToFloatImage(clean);
    const b = rgbToFloatImage(noisy);
    expect(psnrRgb(clean, noisy)).toBeCloseTo(psnr(floatImage(a.data, 64, 64), floatImage(b.data, 64, 64)), 6);
    expect(psnrRgb(clean, clean)).toBe(Infinity);
  });

  it("transparent pixels become white", () => {
    const rgb = rgbaToRgb(new Uint8ClampedArray([10, 20, 30, 0, 10, 20, 30, 255]), 2, 1);
    expect(Array.from(rgb.data)).toEqual([255, 255, 255, 10, 20, 30]);
  });
});
