import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { unzipSync } from "fflate";
import { afterAll, describe, expect, it } from "vitest";
import { formatShape, readNpz } from "@/training/data/npz";
import { readU8 } from "@/training/data/u8";
import {
  expectDataError,
  FACE_BYTES,
  fixture,
  hasSharedFaces,
  makeTempDir,
  sameBytes,
  sharedFacesDir,
} from "./data-test-helpers";

const faces = readFileSync(fixture("faces-small.u8"));
const temp = makeTempDir();
afterAll(temp.remove);

/** Writes `bytes` to a temporary file and returns its path. */
function tempFile(name: string, bytes: Uint8Array | string): string {
  const file = path.join(temp.dir, name);
  writeFileSync(file, bytes);
  return file;
}

describe.each([
  ["np.savez (stored entries)", "faces-small.npz"],
  ["np.savez_compressed (deflated entries)", "faces-small-compressed.npz"],
])("readNpz on %s", (_, name) => {
  it("reads x_train and x_test with their shapes", () => {
    const arrays = readNpz(fixture(name));
    expect(Object.keys(arrays).sort()).toEqual(["x_test", "x_train"]);
    expect(arrays.x_train.shape).toEqual([12, 64, 64, 3]);
    expect(arrays.x_test.shape).toEqual([4, 64, 64, 3]);
    expect(arrays.x_train.dtype).toBe("uint8");
  });

  it("returns exactly the bytes of the .u8 source images", () => {
    const { x_train, x_test } = readNpz(fixture(name));
    expect(sameBytes(x_train.data, faces.subarray(0, 12 * FACE_BYTES))).toBe(true);
    expect(sameBytes(x_test.data, faces.subarray(12 * FACE_BYTES))).toBe(true);
  });

  it("reads only the arrays asked for", () => {
    const arrays = readNpz(fixture(name), ["x_test"]);
    expect(Object.keys(arrays)).toEqual(["x_test"]);
  });
});

describe("readNpz on other layouts", () => {
  it("reads .npy format versions 1.0, 2.0 and 3.0", () => {
    const { v1, v2, v3 } = readNpz(fixture("npy-versions.npz"));
    expect(v1.shape).toEqual([2, 4, 4, 3]);
    expect(sameBytes(v2.data, v1.data)).toBe(true);
    expect(sameBytes(v3.data, v1.data)).toBe(true);
    expect(v3.shape).toEqual(v1.shape);
  });

  it("reads grayscale arrays of rank 3 and 4", () => {
    const { x_train, x_test } = readNpz(fixture("faces-small-gray.npz"));
    expect(x_train.shape).toEqual([6, 64, 64]);
    expect(x_test.shape).toEqual([2, 64, 64, 1]);
  });

  it("formats shapes the way Python prints them", () => {
    expect(formatShape([16, 64, 64, 3])).toBe("(16, 64, 64, 3)");
    expect(formatShape([5])).toBe("(5,)");
  });
});

describe.skipIf(!hasSharedFaces)("readNpz on the shared CelebA samples (skipped without ../shared/data/faces)", () => {
  it("reads both archives, identical to each other and to the .u8 files they were made from", () => {
    const stored = readNpz(path.join(sharedFacesDir, "celeba-sample.npz"));
    const compressed = readNpz(path.join(sharedFacesDir, "celeba-sample-compressed.npz"));
    expect(stored.x_train.shape).toEqual([256, 64, 64, 3]);
    expect(stored.x_test.shape).toEqual([64, 64, 64, 3]);
    expect(sameBytes(compressed.x_train.data, stored.x_train.data)).toBe(true);
    expect(sameBytes(compressed.x_test.data, stored.x_test.data)).toBe(true);
    const train = readU8(path.join(sharedFacesDir, "faces-64-train.u8"));
    expect(sameBytes(stored.x_train.data, train.pixels.subarray(0, 256 * FACE_BYTES))).toBe(true);
  });
});

describe("npz errors", () => {
  it("rejects a missing file", async () => {
    const file = fixture("no-such.npz");
    await expectDataError(() => readNpz(file), file, /expected a NumPy \.npz archive, found no such file or folder$/);
  });

  it("rejects a file that is not a zip", async () => {
    const file = tempFile("text.npz", "just some text, no zip here\n");
    await expectDataError(
      () => readNpz(file),
      file,
      /expected a NumPy \.npz \(zip\) archive, found no zip end-of-central-directory record/,
    );
  });

  it("rejects a bare .npy saved under an .npz name", async () => {
    const file = tempFile("bare.npz", readNpzEntry("npy-versions.npz", "v1.npy"));
    await expectDataError(() => readNpz(file), file, /found a single \.npy array/);
  });

  it("rejects a truncated archive", async () => {
    const whole = readFileSync(fixture("faces-small.npz"));
    const file = tempFile("truncated.npz", whole.subarray(0, whole.length - 100));
    await expectDataError(
      () => readNpz(file),
      file,
      /found no zip end-of-central-directory record \(not a zip, or truncated\)$/,
    );
  });

  it("rejects corrupt deflate data", async () => {
    const bytes = new Uint8Array(readFileSync(fixture("faces-small-compressed.npz")));
    bytes.fill(0, 100, 150);
    const file = tempFile("corrupt-deflate.npz", bytes);
    await expectDataError(() => readNpz(file), file, /expected a readable zip archive, found a corrupt one \(.+\)$/);
  });

  it("rejects a stored entry whose bytes do not match its CRC", async () => {
    const bytes = new Uint8Array(readFileSync(fixture("faces-small.npz")));
    bytes[50_000] ^= 0xff;
    const file = tempFile("bad-crc.npz", bytes);
    await expectDataError(() => readNpz(file), file, /: array x_train: expected CRC-32 0x[0-9a-f]{8}, found .*corrupt/);
  });

  it("rejects a corrupt central directory", async () => {
    const bytes = new Uint8Array(readFileSync(fixture("faces-small.npz")));
    const directory = Buffer.from(bytes).lastIndexOf(Buffer.from("PK\x01\x02", "latin1"));
    bytes.fill(0, directory, directory + 4);
    const file = tempFile("bad-directory.npz", bytes);
    await expectDataError(() => readNpz(file), file, /expected zip central directory entry 2 of 2 at byte \d+/);
  });

  it("rejects an entry without the .npy magic", async () => {
    const file = fixture("bad", "npy-magic.npz");
    await expectDataError(
      () => readNpz(file),
      file,
      /: array x_train: expected a \.npy array starting with \\x93NUMPY, found bytes 00 00 08 03/,
    );
  });

  it("rejects a float32 array, naming the dtype", async () => {
    const file = fixture("bad", "float32.npz");
    await expectDataError(
      () => readNpz(file),
      file,
      /: array x_train: expected dtype \|u1 \(uint8\), found <f4 \(float32\)$/,
    );
  });

  it("rejects Fortran order", async () => {
    const file = fixture("bad", "fortran-order.npz");
    await expectDataError(
      () => readNpz(file),
      file,
      /: array x_train: expected C \(row-major\) order, found fortran_order True$/,
    );
  });

  it("rejects a truncated .npy inside the archive", async () => {
    const file = fixture("bad", "truncated-npy.npz");
    await expectDataError(
      () => readNpz(file),
      file,
      /: array x_train: expected 24576 data bytes for shape \(2, 64, 64, 3\) uint8, found 1000 \(truncated\)$/,
    );
  });

  it("rejects a missing array, listing the ones there are", async () => {
    const file = fixture("faces-small.npz");
    await expectDataError(
      () => readNpz(file, ["y_train"]),
      file,
      /expected an array named y_train, found only x_train, x_test$/,
    );
  });
});

/** One entry of a fixture archive, raw, via the reader under test's own dependency (fflate). */
function readNpzEntry(archive: string, entry: string): Uint8Array {
  return unzipSync(readFileSync(fixture(archive)))[entry];
}
