/**
 * Image decoding and resizing with sharp: a folder of JPEG/PNG photos, or raw pixel arrays of another size,
 * become size x size RGB images in one NHWC byte array.
 */

import { readdirSync, type Dirent } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { DataError, describeFsError } from "./errors";
import { errorMessage } from "../../lib/errors";

export interface ImageFolderOptions {
  /** Output side in pixels: every photo is centre-cropped to a square and resized to size x size. */
  size: number;
  /** Decode only the first `limit` files, in name order. */
  limit?: number;
}

export interface DecodedImages {
  /** count*size*size*3 bytes, NHWC, RGB. */
  pixels: Uint8Array;
  count: number;
  size: number;
  /** The decoded files, in the order of `pixels`. */
  files: string[];
}

/** Raw images in one NHWC byte array, as read from an .npz or .u8 file. */
export interface RawImages {
  pixels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
}

export const IMAGE_EXTENSIONS: readonly string[] = [".jpg", ".jpeg", ".png"];

const RGB_CHANNELS = 3;
const WHITE = { r: 255, g: 255, b: 255 };

/**
 * Decodes every JPEG/PNG in `dir` (not its subfolders), sorted by file name. Hidden files (.DS_Store) are
 * skipped; any other file that is not a JPEG/PNG, and any image sharp cannot decode, is a DataError naming it.
 */
export async function loadImageFolder(dir: string, options: ImageFolderOptions): Promise<DecodedImages> {
  const files = listImageFiles(dir).slice(0, options.limit);
  const imageBytes = options.size * options.size * RGB_CHANNELS;
  const pixels = new Uint8Array(files.length * imageBytes);
  await forEachConcurrently(files.length, async (index) => {
    pixels.set(await decodeImageFile(files[index], options.size), index * imageBytes);
  });
  return { pixels, count: files.length, size: options.size, files };
}

/**
 * Decodes one photo to size*size*3 RGB bytes: turned upright by its EXIF orientation, centre-cropped to a
 * square and resized, with any transparency composited on white (what a browser shows on a white page).
 */
export async function decodeImageFile(file: string, size: number): Promise<Uint8Array> {
  try {
    const { data, info } = await sharp(file)
      .autoOrient()
      .resize(size, size, { fit: "cover", position: "centre" })
      .flatten({ background: WHITE })
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== RGB_CHANNELS || info.width !== size || info.height !== size) {
      throw new Error(`sharp returned ${info.width}x${info.height}x${info.channels}`);
    }
    return data;
  } catch (error) {
    throw new DataError(
      { file, expected: "a readable JPEG or PNG image", found: `one sharp cannot decode (${errorMessage(error)})` },
      { cause: error },
    );
  }
}

/**
 * Resizes every image to size x size RGB (centre-cropping non-square ones; grayscale becomes RGB on the way).
 * Returns a new count*size*size*3 array.
 */
export async function resizeRawImages(images: RawImages, size: number): Promise<Uint8Array> {
  const { pixels, count, height, width, channels } = images;
  const inputBytes = height * width * channels;
  const outputBytes = size * size * RGB_CHANNELS;
  const resized = new Uint8Array(count * outputBytes);
  await forEachConcurrently(count, async (index) => {
    const image = pixels.subarray(index * inputBytes, (index + 1) * inputBytes);
    const { data, info } = await sharp(image, { raw: { width, height, channels } })
      .resize(size, size, { fit: "cover", position: "centre" })
      .toColourspace("srgb")
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== RGB_CHANNELS) throw new Error(`resizeRawImages: sharp returned ${info.channels} channels`);
    resized.set(data, index * outputBytes);
  });
  return resized;
}

/** Repeats each gray byte three times: (N, H, W) grayscale becomes (N, H, W, 3) RGB. */
export function grayToRgb(gray: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(gray.length * RGB_CHANNELS);
  for (let i = 0; i < gray.length; i++) {
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
  }
  return rgb;
}

function listImageFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new DataError({ file: dir, expected: "a folder of JPEG or PNG images", found: describeFsError(error) });
  }
  const files = entries
    .filter((entry) => !entry.isDirectory() && !entry.name.startsWith("."))
    .map((entry) => entry.name)
    .sort();
  const notImage = files.find((name) => !IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase()));
  if (notImage !== undefined) {
    throw new DataError({
      file: path.join(dir, notImage),
      expected: `only JPEG or PNG images (${IMAGE_EXTENSIONS.join(", ")}) in the folder`,
      found: "a file of another type",
    });
  }
  if (files.length === 0) {
    throw new DataError({ file: dir, expected: "a folder with at least one JPEG or PNG image", found: "none" });
  }
  return files.map((name) => path.join(dir, name));
}

/** Runs `task(0..count-1)` with a few in flight at once, so that sharp's thread pool stays busy. */
async function forEachConcurrently(count: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(count, availableParallelism()) }, worker));
}
