import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readU8, u8PathsFor } from "@/training/data/u8";
import {
  expectDataError,
  FACE_BYTES,
  fixture,
  hasSharedFaces,
  makeTempDir,
  sameBytes,
  sharedFacesDir,
} from "./data-test-helpers";

const fixtureHeader = JSON.parse(readFileSync(fixture("faces-small.json"), "utf8")) as Record<string, unknown>;
const fixturePixels = readFileSync(fixture("faces-small.u8"));
const temp = makeTempDir();
afterAll(temp.remove);

/** Writes a .u8/.json pair to the temp folder and returns the .u8 path. */
function writePair(name: string, header: Record<string, unknown> | string, pixels: Uint8Array = fixturePixels): string {
  const { dataFile, headerFile } = u8PathsFor(path.join(temp.dir, `${name}.u8`));
  writeFileSync(headerFile, typeof header === "string" ? header : JSON.stringify(header));
  writeFileSync(dataFile, pixels);
  return dataFile;
}

describe("readU8 on the fixture", () => {
  it("reads 16 faces of 64x64x3 with their header", () => {
    const faces = readU8(fixture("faces-small.u8"));
    expect([faces.count, faces.height, faces.width, faces.channels]).toEqual([16, 64, 64, 3]);
    expect(faces.pixels.length).toBe(16 * FACE_BYTES);
    expect(faces.header.source_files).toHaveLength(16);
    expect(sameBytes(faces.pixels, fixturePixels)).toBe(true);
  });

  it("accepts the path of the .json header instead", () => {
    const faces = readU8(fixture("faces-small.json"));
    expect(faces.dataFile).toBe(fixture("faces-small.u8"));
    expect(faces.count).toBe(16);
  });
});

describe.skipIf(!hasSharedFaces)("readU8 on the shared faces (skipped without ../shared/data/faces)", () => {
  it("reads faces-64-test.u8, whose bytes match the header's sha256, and the fixture is its first 16 faces", () => {
    const faces = readU8(path.join(sharedFacesDir, "faces-64-test.u8"));
    expect(faces.count).toBe(1503);
    expect(faces.pixels.length).toBe(faces.header.bytes);
    expect(createHash("sha256").update(faces.pixels).digest("hex")).toBe(faces.header.sha256);
    expect(sameBytes(faces.pixels.subarray(0, 16 * FACE_BYTES), fixturePixels)).toBe(true);
  });
});

describe(".u8 errors", () => {
  it("rejects a missing .json header", async () => {
    const file = path.join(temp.dir, "alone.u8");
    writeFileSync(file, fixturePixels);
    const header = path.join(temp.dir, "alone.json");
    await expectDataError(
      () => readU8(file),
      header,
      /expected a \.json header beside the \.u8 file, found no such file/,
    );
  });

  it("rejects a missing .u8 file", async () => {
    const file = path.join(temp.dir, "headless.u8");
    writeFileSync(path.join(temp.dir, "headless.json"), JSON.stringify(fixtureHeader));
    await expectDataError(
      () => readU8(file),
      file,
      /expected raw uint8 pixels described by headless\.json, found no such file/,
    );
  });

  it("rejects a truncated .u8 file", async () => {
    const file = writePair("truncated", fixtureHeader, fixturePixels.subarray(0, 8 * FACE_BYTES));
    await expectDataError(
      () => readU8(file),
      file,
      /expected 196608 bytes \(16 x 64 x 64 x 3 from truncated\.json\), found 98304 bytes \(truncated\)$/,
    );
  });

  it("rejects a header that is not JSON", async () => {
    const file = writePair("not-json", "{ count: 16 ");
    await expectDataError(
      () => readU8(file),
      u8PathsFor(file).headerFile,
      /expected a JSON header, found invalid JSON/,
    );
  });

  it.each([
    ["count", -3, /field count: expected a positive integer, found -3$/],
    ["height", undefined, /field height: expected a positive integer, found no such field$/],
    ["channels", 4, /field channels: expected 1 \(grayscale\) or 3 \(RGB\), found 4$/],
    ["dtype", "float32", /field dtype: expected "uint8", found "float32"$/],
    ["bytes", 12345, /field bytes: expected 196608 \(count x height x width x channels\), found 12345$/],
  ])("rejects a header whose %s is %j", async (field, value, pattern) => {
    const header = { ...fixtureHeader, [field]: value };
    if (value === undefined) delete header[field];
    const file = writePair(`bad-${field}`, header);
    await expectDataError(() => readU8(file), u8PathsFor(file).headerFile, pattern);
  });
});
