import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { loadImageFolder } from "@/training/data/image-folder";
import { expectDataError, FACE_BYTES, fixture, fixtureFace, makeTempDir, meanAbsDiff, sameBytes } from "./data-test-helpers";

const imagesDir = fixture("images");
const faces = readFileSync(fixture("faces-small.u8"));
const temp = makeTempDir();
afterAll(temp.remove);

/** A new folder in the temp dir holding `files` (name -> bytes). */
function folderWith(name: string, files: Record<string, Uint8Array | string>): string {
  const dir = path.join(temp.dir, name);
  mkdirSync(dir);
  for (const [file, bytes] of Object.entries(files)) writeFileSync(path.join(dir, file), bytes);
  return dir;
}

/** Every byte of image `index` in the column range [x0, x1). */
function columns(pixels: Uint8Array, index: number, size: number, x0: number, x1: number): number[] {
  const values: number[] = [];
  for (let y = 0; y < size; y++) {
    const row = (index * size + y) * size * 3;
    values.push(...pixels.subarray(row + x0 * 3, row + x1 * 3));
  }
  return values;
}

describe("loadImageFolder on the fixture photos", async () => {
  const loaded = await loadImageFolder(imagesDir, { size: 64 });
  const image = (index: number) => loaded.pixels.subarray(index * FACE_BYTES, (index + 1) * FACE_BYTES);

  it("decodes every photo, in name order, to 64x64 RGB", () => {
    expect(loaded.count).toBe(5);
    expect(loaded.files.map((file) => path.basename(file))).toEqual([
      "a-face.png",
      "b-transparent.png",
      "c-wide.jpg",
      "d-rotated.jpg",
      "e-portrait.jpg",
    ]);
    expect(loaded.pixels.length).toBe(5 * FACE_BYTES);
  });

  it("returns a lossless 64x64 PNG byte for byte", () => {
    expect(sameBytes(image(0), fixtureFace(faces, 0))).toBe(true);
  });

  it("flattens transparency on white", () => {
    expect(new Set(columns(loaded.pixels, 1, 64, 32, 64))).toEqual(new Set([255]));
    expect(columns(loaded.pixels, 1, 64, 0, 32)).toEqual(columns(faces, 1, 64, 0, 32));
  });

  it("centre-crops a wide photo, dropping the black bars at its sides", () => {
    expect(meanAbsDiff(image(2), fixtureFace(faces, 2))).toBeLessThan(4);
  });

  it("turns a photo upright by its EXIF orientation", async () => {
    const upright = fixtureFace(faces, 3);
    expect(meanAbsDiff(image(3), upright)).toBeLessThan(4);
    // The same pixels read while ignoring the EXIF tag are far from the face: the rotation did happen.
    const ignoringExif = await sharp(path.join(imagesDir, "d-rotated.jpg")).raw().toBuffer();
    expect(meanAbsDiff(ignoringExif, upright)).toBeGreaterThan(20);
  });

  it("resizes to another size and takes the first `limit` files", async () => {
    const small = await loadImageFolder(imagesDir, { size: 32, limit: 2 });
    expect(small.count).toBe(2);
    expect(small.size).toBe(32);
    expect(small.pixels.length).toBe(2 * 32 * 32 * 3);
    expect(meanAbsDiff(small.pixels.subarray(0, 32 * 32 * 3), halve(fixtureFace(faces, 0), 64))).toBeLessThan(4);
  });
});

describe("loadImageFolder on other photos", () => {
  it("turns a grayscale PNG into RGB with equal channels", async () => {
    const gray = await sharp(fixtureFace(faces, 5), { raw: { width: 64, height: 64, channels: 3 } })
      .toColourspace("b-w")
      .png()
      .toBuffer();
    expect((await sharp(gray).metadata()).channels).toBe(1);
    const loaded = await loadImageFolder(folderWith("gray", { "gray.png": gray }), { size: 16 });
    expect(loaded.pixels.length).toBe(16 * 16 * 3);
    for (let i = 0; i < loaded.pixels.length; i += 3) {
      expect(loaded.pixels[i + 1]).toBe(loaded.pixels[i]);
      expect(loaded.pixels[i + 2]).toBe(loaded.pixels[i]);
    }
  });

  it("skips hidden files and subfolders", async () => {
    const dir = folderWith("with-extras", { ".DS_Store": "mac metadata" });
    copyFileSync(path.join(imagesDir, "a-face.png"), path.join(dir, "face.PNG"));
    mkdirSync(path.join(dir, "thumbnails"));
    const loaded = await loadImageFolder(dir, { size: 64 });
    expect(loaded.count).toBe(1);
  });
});

describe("image folder errors", () => {
  it("rejects a missing folder", async () => {
    const dir = path.join(temp.dir, "no-such-folder");
    await expectDataError(
      () => loadImageFolder(dir, { size: 64 }),
      dir,
      /expected a folder of JPEG or PNG images, found no such file/,
    );
  });

  it("rejects an empty folder", async () => {
    const dir = folderWith("empty", {});
    await expectDataError(
      () => loadImageFolder(dir, { size: 64 }),
      dir,
      /expected a folder with at least one JPEG or PNG image, found none$/,
    );
  });

  it("rejects a file that is not an image, naming it", async () => {
    const dir = folderWith("with-notes", { "notes.txt": "not a photo" });
    copyFileSync(path.join(imagesDir, "a-face.png"), path.join(dir, "face.png"));
    const file = path.join(dir, "notes.txt");
    await expectDataError(
      () => loadImageFolder(dir, { size: 64 }),
      file,
      /expected only JPEG or PNG images .*found a file of another type$/,
    );
  });

  it("rejects a .jpg that is not a JPEG, naming it", async () => {
    const dir = folderWith("fake-jpeg", { "photo.jpg": "<html>404 Not Found</html>" });
    const file = path.join(dir, "photo.jpg");
    await expectDataError(
      () => loadImageFolder(dir, { size: 64 }),
      file,
      /expected a readable JPEG or PNG image, found one sharp cannot decode \(.+\)$/,
    );
  });

  it("rejects a truncated PNG, naming it", async () => {
    const png = readFileSync(path.join(imagesDir, "a-face.png"));
    const dir = folderWith("truncated-png", { "cut.png": png.subarray(0, png.length / 2) });
    const file = path.join(dir, "cut.png");
    await expectDataError(
      () => loadImageFolder(dir, { size: 64 }),
      file,
      /expected a readable JPEG or PNG image, found one sharp cannot decode/,
    );
  });
});

/** 2x2 box average of a size x size RGB image: a reference for downscaling by two. */
function halve(image: Uint8Array, size: number): Uint8Array {
  const half = size / 2;
  const out = new Uint8Array(half * half * 3);
  for (let y = 0; y < half; y++) {
    for (let x = 0; x < half; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number) => image[(yy * size + xx) * 3 + c];
        const sum = at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1);
        out[(y * half + x) * 3 + c] = Math.round(sum / 4);
      }
    }
  }
  return out;
}
