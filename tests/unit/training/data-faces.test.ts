import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadFaces } from "@/training/data/faces";
import { readNpz } from "@/training/data/npz";
import {
  expectDataError,
  FACE_BYTES,
  fixture,
  fixtureFace,
  hasSharedFaces,
  meanAbsDiff,
  sameBytes,
  sharedFacesDir,
} from "./data-test-helpers";

const faces = readFileSync(fixture("faces-small.u8"));

describe("loadFaces from .npz", () => {
  it.each(["faces-small.npz", "faces-small-compressed.npz"])("reads x_train and x_test of %s unchanged", async (name) => {
    const train = await loadFaces(fixture(name));
    const test = await loadFaces(fixture(name), { split: "test" });
    expect([train.count, train.size, test.count]).toEqual([12, 64, 4]);
    expect(train.source).toBe(`${fixture(name)} (x_train)`);
    expect(sameBytes(train.pixels, faces.subarray(0, 12 * FACE_BYTES))).toBe(true);
    expect(sameBytes(test.pixels, faces.subarray(12 * FACE_BYTES))).toBe(true);
  });

  it("keeps the first `limit` images", async () => {
    const set = await loadFaces(fixture("faces-small.npz"), { limit: 5 });
    expect(set.count).toBe(5);
    expect(sameBytes(set.pixels, faces.subarray(0, 5 * FACE_BYTES))).toBe(true);
  });

  it("reads 48x48 images unchanged at size 48", async () => {
    const set = await loadFaces(fixture("faces-small-48.npz"), { size: 48 });
    const crop = readNpz(fixture("faces-small-48.npz"), ["x_train"]).x_train;
    expect(set.count).toBe(12);
    expect(sameBytes(set.pixels, crop.data)).toBe(true);
  });

  it("resizes 48x48 images to 64x64", async () => {
    const set = await loadFaces(fixture("faces-small-48.npz"), { split: "test" });
    expect([set.count, set.size, set.pixels.length]).toEqual([4, 64, 4 * FACE_BYTES]);
    const crop = readNpz(fixture("faces-small-48.npz"), ["x_test"]).x_test.data;
    // sharp's Lanczos result is about 8 from a nearest-neighbour reference; shifted by a pixel it would be 13 or more.
    const reference = nearestUpscale(crop.subarray(0, 48 * 48 * 3), 48, 64);
    expect(meanAbsDiff(set.pixels.subarray(0, FACE_BYTES), reference)).toBeLessThan(10);
  });

  it("resizes 64x64 images down to 32x32", async () => {
    const set = await loadFaces(fixture("faces-small.npz"), { size: 32, limit: 1 });
    expect(set.pixels.length).toBe(32 * 32 * 3);
    const reference = nearestUpscale(set.pixels, 32, 64);
    expect(meanAbsDiff(reference, fixtureFace(faces, 0))).toBeLessThan(12);
  });

  it.each([
    ["(N, H, W)", "train", 6],
    ["(N, H, W, 1)", "test", 2],
  ] as const)("expands grayscale %s to RGB", async (_, split, count) => {
    const set = await loadFaces(fixture("faces-small-gray.npz"), { split });
    const gray = readNpz(fixture("faces-small-gray.npz"))[`x_${split}`].data;
    expect(set.count).toBe(count);
    expect(set.pixels.length).toBe(gray.length * 3);
    for (let i = 0; i < gray.length; i++) {
      if (set.pixels[3 * i] !== gray[i] || set.pixels[3 * i + 1] !== gray[i] || set.pixels[3 * i + 2] !== gray[i]) {
        expect.fail(`pixel ${i} is (${set.pixels.subarray(3 * i, 3 * i + 3).join(", ")}), expected gray ${gray[i]}`);
      }
    }
  });

  it("resizes grayscale images to RGB with equal channels", async () => {
    const set = await loadFaces(fixture("faces-small-gray.npz"), { size: 32, limit: 2 });
    expect(set.pixels.length).toBe(2 * 32 * 32 * 3);
    for (let i = 0; i < set.pixels.length; i += 3) {
      if (set.pixels[i + 1] !== set.pixels[i] || set.pixels[i + 2] !== set.pixels[i]) expect.fail(`pixel ${i / 3} is not gray`);
    }
  });
});

describe("loadFaces from .u8 and from folders", () => {
  it("reads a .u8 file, or the .json beside it", async () => {
    const fromData = await loadFaces(fixture("faces-small.u8"), { limit: 10 });
    const fromHeader = await loadFaces(fixture("faces-small.json"), { limit: 10 });
    expect(fromData.count).toBe(10);
    expect(sameBytes(fromData.pixels, faces.subarray(0, 10 * FACE_BYTES))).toBe(true);
    expect(sameBytes(fromHeader.pixels, fromData.pixels)).toBe(true);
  });

  it("reads a folder of photos", async () => {
    const set = await loadFaces(fixture("images"), { size: 40 });
    expect([set.count, set.size, set.pixels.length]).toEqual([5, 40, 5 * 40 * 40 * 3]);
    expect(set.source).toBe(`${fixture("images")} (5 images)`);
  });
});

describe.skipIf(!hasSharedFaces)("loadFaces on the shared files (skipped without ../shared/data/faces)", () => {
  it("reads the sample archives and the test .u8", async () => {
    const stored = await loadFaces(path.join(sharedFacesDir, "celeba-sample.npz"), { split: "test" });
    const compressed = await loadFaces(path.join(sharedFacesDir, "celeba-sample-compressed.npz"));
    const u8 = await loadFaces(path.join(sharedFacesDir, "faces-64-test.u8"));
    expect([stored.count, compressed.count, u8.count]).toEqual([64, 256, 1503]);
    expect(sameBytes(stored.pixels, u8.pixels.subarray(0, 64 * FACE_BYTES))).toBe(true);
  });
});

describe("loadFaces errors", () => {
  it("rejects a missing path", async () => {
    const file = fixture("no-such-faces.npz");
    await expectDataError(
      () => loadFaces(file),
      file,
      /expected a \.npz archive, .* or a folder of JPEG\/PNG images, found no such file/,
    );
  });

  it("rejects a file of another kind", async () => {
    const file = fixture("make-fixtures.py");
    await expectDataError(() => loadFaces(file), file, /found a \.py file$/);
  });

  it("rejects an array that is not images", async () => {
    const file = fixture("bad", "wrong-shape.npz");
    await expectDataError(
      () => loadFaces(file),
      file,
      /: array x_train: expected images shaped \(N, H, W\), .*found shape \(4, 16\)$/,
    );
  });

  it("rejects an archive without the requested split", async () => {
    const file = fixture("bad", "float32.npz");
    await expectDataError(
      () => loadFaces(file, { split: "test" }),
      file,
      /expected an array named x_test, found only x_train$/,
    );
  });

  it("rejects a bad size or limit as a programming error, not a data error", async () => {
    await expect(loadFaces(fixture("faces-small.npz"), { size: 0 })).rejects.toThrow(RangeError);
    await expect(loadFaces(fixture("faces-small.npz"), { limit: 1.5 })).rejects.toThrow(/limit must be a positive integer/);
  });
});

/** Nearest-neighbour upscale of one RGB image: a crude reference that any good resize stays close to. */
function nearestUpscale(image: Uint8Array, from: number, to: number): Uint8Array {
  const out = new Uint8Array(to * to * 3);
  for (let y = 0; y < to; y++) {
    for (let x = 0; x < to; x++) {
      const sy = Math.floor(((y + 0.5) * from) / to);
      const sx = Math.floor(((x + 0.5) * from) / to);
      out.set(image.subarray((sy * from + sx) * 3, (sy * from + sx) * 3 + 3), (y * to + x) * 3);
    }
  }
  return out;
}
