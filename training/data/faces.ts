/**
 * One entry point for face data in any of the formats the project meets: the challenge's `.npz`
 * (x_train / x_test), the shared raw `.u8` + `.json` files, or a folder of photos. All come back as
 * size x size RGB images in one NHWC byte array, ready for the denoising autoencoder.
 */

import { statSync, type Stats } from "node:fs";
import path from "node:path";
import { createRandom } from "../../lib/random";
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
  /** The person in each image, where the source says (the shared .u8 headers' `identity_ids`). */
  identities?: number[];
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
    const { pixels, count, height, width, channels, dataFile, header } = readU8(file);
    const set = await toFaceSet({ pixels, count, height, width, channels }, size, limit, dataFile);
    const ids = header.identity_ids;
    // Provenance, not layout: a header without a usable list still loads, only without identities.
    const usable = Array.isArray(ids) && ids.length === count && ids.every((id) => Number.isInteger(id));
    return usable ? { ...set, identities: (ids as number[]).slice(0, set.count) } : set;
  }
  throw new DataError({ file, expected: SUPPORTED, found: `a ${extension || "extensionless"} file` });
}

/**
 * Splits off at least `count` faces for validation, whole people at a time, so that no one in the validation
 * faces is also in the training faces (held-out PSNR then measures faces the model has not seen, as the test set
 * does, without touching the test set). People are taken in a seeded shuffled order. A source that names no
 * people gives its last `count` faces instead, and the validation set's `source` says which it is.
 */
export function holdOutFaces(set: FaceSet, count: number, seed: number): { train: FaceSet; validation: FaceSet } {
  if (count >= set.count) throw new RangeError(`holdOutFaces: cannot hold out ${count} of ${set.count} faces and still train`);
  const held = new Set<number>();
  if (set.identities) {
    const facesOf = new Map<number, number[]>();
    set.identities.forEach((id, i) => facesOf.set(id, [...(facesOf.get(id) ?? []), i]));
    const people = [...facesOf.keys()].sort((a, b) => a - b);
    const random = createRandom(seed);
    for (let i = people.length - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      [people[i], people[j]] = [people[j], people[i]];
    }
    for (const person of people) {
      if (held.size >= count) break;
      for (const i of facesOf.get(person)!) held.add(i);
    }
  } else {
    for (let i = set.count - count; i < set.count; i++) held.add(i);
  }
  const indices = Array.from({ length: set.count }, (_, i) => i);
  const part = (keep: (i: number) => boolean, name: string) => subset(set, indices.filter(keep), name);
  const validation = set.identities ? "validation part, people not in the training part" : "validation part, its last faces (the source names no people)";
  return { train: part((i) => !held.has(i), "training part"), validation: part((i) => held.has(i), validation) };
}

/** The first `limit` faces (all of them without a limit), as a view. */
export function firstFaces(set: FaceSet, limit: number | undefined): FaceSet {
  if (!limit || limit >= set.count) return set;
  const bytes = set.size * set.size * 3;
  return { ...set, pixels: set.pixels.subarray(0, limit * bytes), count: limit, ...(set.identities ? { identities: set.identities.slice(0, limit) } : {}) };
}

/** The faces at `indices`, copied out, with their identities. */
function subset(set: FaceSet, indices: number[], name: string): FaceSet {
  const bytes = set.size * set.size * 3;
  const pixels = new Uint8Array(indices.length * bytes);
  indices.forEach((index, i) => pixels.set(set.pixels.subarray(index * bytes, (index + 1) * bytes), i * bytes));
  return {
    pixels,
    count: indices.length,
    size: set.size,
    source: `${set.source}, ${name} (${indices.length} faces)`,
    ...(set.identities ? { identities: indices.map((index) => set.identities![index]) } : {}),
  };
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
