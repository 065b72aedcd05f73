/**
 * One entry point for face data in any of the formats the project meets: the challenge's `.npz`
 * (x_train / x_test), the shared raw `.u8` + `.json` files, or a folder of photos. All come back as
 * size x size RGB images in one NHWC byte array, ready for the denoising autoencoder.
 */

import { statSync, type Stats } from "node:fs";
import path from "node:path";
import { DataError, describeFsError } from "./errors";
import { grayToRgb, loadImageFolder, resizeRawImages, type RawImages } from "./image-folder";
import { formatShape, readNpz, type NpyArray } from "./npz";
import { readU8 } from "./u8";

export type FaceSplit = "train" | "test";

export interface LoadFacesOptions {
  /** Output side in pixels (default 64); images of another size are resized, non-square ones centre-cropped. */
  size?: number;
  /** Which array of an .npz to read: x_train (default) or x_test. A .u8 file or a folder holds one set: ignored. */
  split?: FaceSplit;
  /** Keep only the first `limit` images. */
  limit?: number;
}

export interface FaceSet {
  /** count*size*size*3 bytes, NHWC, RGB, 0..255. */
  pixels: Uint8Array;
  count: number;
  size: number;
  /** Where the images came from, e.g. "data/faces.npz (x_test)", for logs and model metadata. */
  source: string;
}

export const DEFAULT_FACE_SIZE = 64;

const SUPPORTED = "a .npz archive, a .u8 file (or its .json header) or a folder of JPEG/PNG images";

/** Loads faces from `file`, choosing the reader by what it is: a folder, an `.npz`, or a `.u8`/`.json` pair. */
export async function loadFaces(file: string, options: LoadFacesOptions = {}): Promise<FaceSet> {
  const size = options.size ?? DEFAULT_FACE_SIZE;
  checkPositiveInteger("size", size);
  if (options.limit !== undefined) checkPositiveInteger("limit", options.limit);
  const { limit } = options;

  if (statPath(file).isDirectory()) {
    const folder = await loadImageFolder(file, { size, limit });
    return { pixels: folder.pixels, count: folder.count, size, source: `${file} (${folder.count} images)` };
  }
  const extension = path.extname(file).toLowerCase();
  if (extension === ".npz") {
    const arrayName = options.split === "test" ? "x_test" : "x_train";
    const array = readNpz(file, [arrayName])[arrayName];
    const images = rawImagesFromArray(array, file, `array ${arrayName}`);
    return toFaceSet(images, size, limit, `${file} (${arrayName})`);
  }
  if (extension === ".u8" || extension === ".json") {
    const { pixels, count, height, width, channels, dataFile } = readU8(file);
    return toFaceSet({ pixels, count, height, width, channels }, size, limit, dataFile);
  }
  throw new DataError({ file, expected: SUPPORTED, found: `a ${extension || "extensionless"} file` });
}

/** Reads the image layout from an array's shape: (N, H, W) and (N, H, W, 1) are grayscale, (N, H, W, 3) RGB. */
function rawImagesFromArray(array: NpyArray, file: string, part: string): RawImages {
  const [count, height, width, channels = 1] = array.shape;
  const isImageShape = array.shape.length === 3 || (array.shape.length === 4 && (channels === 1 || channels === 3));
  if (!isImageShape || count === 0 || height === 0 || width === 0) {
    throw new DataError({
      file,
      part,
      expected: "images shaped (N, H, W), (N, H, W, 1) or (N, H, W, 3) with N, H, W > 0",
      found: `shape ${formatShape(array.shape)}`,
    });
  }
  return { pixels: array.data, count, height, width, channels: channels as 1 | 3 };
}

/** Takes the first `limit` images and makes them size x size RGB. */
async function toFaceSet(images: RawImages, size: number, limit: number | undefined, source: string): Promise<FaceSet> {
  const count = Math.min(images.count, limit ?? images.count);
  const imageBytes = images.height * images.width * images.channels;
  const kept: RawImages = { ...images, count, pixels: images.pixels.subarray(0, count * imageBytes) };
  return { pixels: await toRgbOfSize(kept, size), count, size, source };
}

/** Converts only what needs converting, so size x size RGB input comes back as a view of the loaded bytes. */
async function toRgbOfSize(images: RawImages, size: number): Promise<Uint8Array> {
  if (images.height !== size || images.width !== size) return resizeRawImages(images, size);
  if (images.channels === 1) return grayToRgb(images.pixels);
  return images.pixels;
}

function statPath(file: string): Stats {
  try {
    return statSync(file);
  } catch (error) {
    throw new DataError({ file, expected: SUPPORTED, found: describeFsError(error) }, { cause: error });
  }
}

/** Options are the caller's choice, not the data's, so a bad one is a RangeError rather than a DataError. */
function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`loadFaces: ${name} must be a positive integer, got ${value}`);
  }
}
