import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pixelImage, toFloats } from "@/lib/image";
import { sniffImage } from "@/lib/image-sniff";
import { tooManyPixelsMessage } from "@/lib/limits";
import { psnr } from "@/lib/metrics";
import { addNoise, addNoiseAsync, applyNoise, quantize8Bit } from "@/lib/noise";
import { createRandom } from "@/lib/random";
import { sha256Hex } from "@/lib/sha256";

const fixture = (name: string) => new Uint8Array(readFileSync(`tests/fixtures/images/${name}`));

describe("sha256", () => {
  afterEach(() => vi.unstubAllGlobals());
  const random = createRandom(3);
  const samples = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001].map((length) => Uint8Array.from({ length }, () => Math.floor(random.uniform() * 256)));

  it("agrees with node:crypto on every length around the block size, through WebCrypto and without it", async () => {
    for (const data of samples) {
      const expected = createHash("sha256").update(data).digest("hex");
      expect(await sha256Hex(data), `length ${data.length}`).toBe(expected);
      // A page on plain HTTP from a LAN address has no crypto.subtle: the JavaScript fallback answers the same.
      vi.stubGlobal("crypto", {});
      expect(await sha256Hex(data.buffer), `fallback, length ${data.length}`).toBe(expected);
      vi.unstubAllGlobals();
    }
  });

  it("hashes only a view's own bytes", async () => {
    const whole = samples[9];
    const view = whole.subarray(10, 500);
    expect(await sha256Hex(view)).toBe(createHash("sha256").update(view).digest("hex"));
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

describe("noise and metrics on byte images", () => {
  const random = createRandom(9);
  const clean = pixelImage(Uint8ClampedArray.from({ length: 64 * 64 * 3 }, () => Math.floor(random.uniform() * 256)), 64, 64);

  it("a 64x64 image gets exactly applyNoise's noise, rounded to 8 bits", () => {
    const expected = quantize8Bit(applyNoise(toFloats(clean).data, { kind: "gaussian", level: 0.1 }, 42));
    const noisy = toFloats(addNoise(clean, { kind: "gaussian", level: 0.1 }, 42)).data;
    let maxDiff = 0;
    for (let i = 0; i < noisy.length; i++) maxDiff = Math.max(maxDiff, Math.abs(noisy[i] - expected[i]));
    expect(maxDiff).toBeLessThanOrEqual(1 / 255 + 1e-6);
  });

  it("the async version gives the same noise, band by band", async () => {
    const big = pixelImage(Uint8ClampedArray.from({ length: 300 * 200 * 3 }, (_, i) => i % 256), 300, 200);
    const spec = { kind: "salt-pepper" as const, level: 0.2 };
    expect(Array.from((await addNoiseAsync(big, spec, 7)).data)).toEqual(Array.from(addNoise(big, spec, 7).data));
  });

  it("the async version stops with an AbortError when its signal is aborted", async () => {
    const big = pixelImage(new Uint8ClampedArray(1000 * 1000 * 3), 1000, 1000);
    const controller = new AbortController();
    controller.abort();
    await expect(addNoiseAsync(big, { kind: "gaussian", level: 0.1 }, 1, controller.signal)).rejects.toMatchObject({ name: "AbortError" });
  });

  it("psnr reads bytes as value / 255, in place", () => {
    const noisy = addNoise(clean, { kind: "gaussian", level: 0.2 }, 1);
    expect(psnr(clean, noisy)).toBeCloseTo(psnr(toFloats(clean), toFloats(noisy)), 5);
    expect(psnr(clean, clean)).toBe(Infinity);
  });
});
