/**
 * Reader for raw `.u8` image files with a `.json` header beside them (see shared/data/faces/README.md):
 * `faces-64-train.u8` is N x H x W x C bytes, row-major, and `faces-64-train.json` says what N, H, W, C are.
 */

import { readFileSync } from "node:fs";
import path from "node:path";
import { DataError, describeFsError, readDataFile } from "./errors";
import { errorMessage } from "../../lib/errors";

/** The header fields this reader relies on; the shared headers also carry provenance fields, kept as-is. */
export interface U8Header {
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  dtype: "uint8";
  /** Total data bytes, when the header states it: must equal count*height*width*channels. */
  bytes?: number;
  bytes_per_image?: number;
  [field: string]: unknown;
}

export interface U8Images {
  /** count*height*width*channels bytes, NHWC; a view of the file's bytes (no copy). */
  pixels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: 1 | 3;
  header: U8Header;
  dataFile: string;
  headerFile: string;
}

/** The `.u8` data file and its `.json` header for a path naming either of them. */
export function u8PathsFor(file: string): { dataFile: string; headerFile: string } {
  const stem = file.replace(/\.(u8|json)$/i, "");
  return { dataFile: `${stem}.u8`, headerFile: `${stem}.json` };
}

/** Reads a `.u8` image file and checks it against its `.json` header. `file` may name either one. */
export function readU8(file: string): U8Images {
  const { dataFile, headerFile } = u8PathsFor(file);
  const header = readU8Header(headerFile);
  const { count, height, width, channels } = header;
  const pixels = readDataFile(dataFile, `raw uint8 pixels described by ${path.basename(headerFile)}`);
  const expectedLength = count * height * width * channels;
  if (pixels.length !== expectedLength) {
    const dims = `${count} x ${height} x ${width} x ${channels}`;
    throw new DataError({
      file: dataFile,
      expected: `${expectedLength} bytes (${dims} from ${path.basename(headerFile)})`,
      found: `${pixels.length} bytes (${pixels.length < expectedLength ? "truncated" : "too long"})`,
    });
  }
  return { pixels, count, height, width, channels, header, dataFile, headerFile };
}

/** Parses and checks a `.u8` header: positive integer dimensions, uint8, 1 or 3 channels, consistent byte counts. */
export function readU8Header(headerFile: string): U8Header {
  const fields = parseJsonObject(headerFile);
  const fail = (field: string, expected: string): never => {
    const found = field in fields ? JSON.stringify(fields[field]) : "no such field";
    throw new DataError({ file: headerFile, part: `field ${field}`, expected, found });
  };
  for (const field of ["count", "height", "width", "channels"]) {
    if (!isPositiveInteger(fields[field])) fail(field, "a positive integer");
  }
  if (fields.channels !== 1 && fields.channels !== 3) fail("channels", "1 (grayscale) or 3 (RGB)");
  if (fields.dtype !== "uint8") fail("dtype", '"uint8"');
  const header = fields as U8Header;
  const imageBytes = header.height * header.width * header.channels;
  if (header.bytes_per_image !== undefined && header.bytes_per_image !== imageBytes) {
    fail("bytes_per_image", `${imageBytes} (height x width x channels)`);
  }
  if (header.bytes !== undefined && header.bytes !== header.count * imageBytes) {
    fail("bytes", `${header.count * imageBytes} (count x height x width x channels)`);
  }
  return header;
}

function parseJsonObject(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new DataError({ file, expected: "a .json header beside the .u8 file", found: describeFsError(error) });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError({ file, expected: "a JSON header", found: `invalid JSON (${errorMessage(error)})` });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError({ file, expected: "a JSON object", found: Array.isArray(value) ? "an array" : typeof value });
  }
  return value as Record<string, unknown>;
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value > 0;
}
