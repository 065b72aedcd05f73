/**
 * Reader for NumPy `.npz` archives: a zip of `.npy` files, as written by `np.savez` (entries stored) and
 * `np.savez_compressed` (entries deflated). fflate does the zip; the `.npy` header is parsed here.
 *
 * Only uint8 arrays in C order are supported: that is what image data sets ship, and anything else
 * (float pixels, Fortran order) would need a conversion the caller should decide on, so it is rejected.
 *
 * .npy format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
 */

import { unzipSync } from "fflate";
import { DataError, readDataFile } from "./errors";
import { errorMessage } from "../../lib/errors";

export interface NpyArray {
  dtype: "uint8";
  shape: number[];
  /** Row-major (C order) elements, a view into the decompressed entry (no copy). */
  data: Uint8Array;
}

/** Where an array came from, for error messages: the .npz file and the array inside it. */
export interface NpySource {
  file: string;
  part?: string;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
// Zip record signatures and fixed lengths, from PKWARE's APPNOTE.TXT.
const ZIP_EOCD_SIGNATURE = 0x06054b50; // "PK\x05\x06" read little-endian
const ZIP_EOCD_LENGTH = 22;
const ZIP_MAX_COMMENT_LENGTH = 0xffff;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_LENGTH = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP_CD_SIGNATURE = 0x02014b50;
const ZIP_CD_HEADER_LENGTH = 46;
const ZIP_FLAG_UTF8 = 0x800;
const ZIP_METHOD_DEFLATE = 8;
const ZIP64_MARKER = 0xffffffff;
const ZIP64_EXTRA_ID = 0x0001;
const MAX_DEFLATE_RATIO = 1032;
const UINT8_DESCR = /^[|<>=]?u1$/;
const NPY_SUFFIX = ".npy";

/**
 * Reads the arrays `names` (e.g. ["x_train"]) from an .npz file, decompressing only those entries.
 * Without `names`, reads every array. A name that is not in the archive is a DataError listing what is.
 * Each entry's CRC-32 is checked, as NumPy does, so a corrupt download fails here rather than in training.
 */
export function readNpz(file: string, names?: readonly string[]): Record<string, NpyArray> {
  const bytes = readDataFile(file, "a NumPy .npz archive");
  const crcByEntry = readZipDirectory(file, bytes);
  const available = [...crcByEntry.keys()].filter((entry) => entry.endsWith(NPY_SUFFIX)).map(arrayNameOf);
  const wanted = names ?? available;
  const missing = wanted.find((name) => !available.includes(name));
  if (missing !== undefined) {
    const found = available.length > 0 ? `only ${available.join(", ")}` : "no arrays at all";
    throw new DataError({ file, expected: `an array named ${missing}`, found });
  }
  const isWanted = (entry: string) => entry.endsWith(NPY_SUFFIX) && wanted.includes(arrayNameOf(entry));
  const entries = unzipEntries(file, bytes, isWanted);
  const arrays: Record<string, NpyArray> = {};
  for (const name of wanted) {
    const source = { file, part: `array ${name}` };
    const entry = entries[`${name}${NPY_SUFFIX}`];
    if (entry === undefined) {
      // fflate counts the entries "on this disk", the directory above the total: a corrupt end record can split them.
      throw new DataError({ ...source, expected: "the zip entry its central directory lists", found: "none (the archive is corrupt)" });
    }
    checkCrc(entry, crcByEntry.get(`${name}${NPY_SUFFIX}`), source);
    arrays[name] = parseNpy(entry, source);
  }
  return arrays;
}

/** Parses one `.npy` file (format 1.0, 2.0 or 3.0) holding a uint8 array in C order. */
export function parseNpy(bytes: Uint8Array, source: NpySource): NpyArray {
  if (bytes.length < 10 || !NPY_MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw new DataError({ ...source, expected: "a .npy array starting with \\x93NUMPY", found: hexPrefix(bytes) });
  }
  const { header, dataStart } = readNpyHeader(bytes, source);
  const { descr, fortranOrder, shape } = parseHeaderDict(header, source);
  if (!UINT8_DESCR.test(descr)) {
    throw new DataError({ ...source, expected: "dtype |u1 (uint8)", found: `${descr} (${describeDescr(descr)})` });
  }
  if (fortranOrder) {
    throw new DataError({ ...source, expected: "C (row-major) order", found: "fortran_order True" });
  }
  const elementCount = shape.reduce((product, dim) => product * dim, 1);
  const dataLength = bytes.length - dataStart;
  if (dataLength !== elementCount) {
    throw new DataError({
      ...source,
      expected: `${elementCount} data bytes for shape ${formatShape(shape)} uint8`,
      found: `${dataLength} (${dataLength < elementCount ? "truncated" : "trailing bytes"})`,
    });
  }
  return { dtype: "uint8", shape, data: bytes.subarray(dataStart) };
}

function arrayNameOf(entryName: string): string {
  return entryName.slice(0, -NPY_SUFFIX.length);
}

/** Python's spelling of a shape, e.g. "(16, 64, 64, 3)" or "(5,)", to match what NumPy users see. */
export function formatShape(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * Reads the zip's central directory: each entry's name and CRC-32. fflate neither says why a file is not a zip
 * (a bare .npy and a truncated download are the likely mistakes) nor checks CRCs, so both are done here.
 */
function readZipDirectory(file: string, bytes: Uint8Array): Map<string, number> {
  const expected = "a NumPy .npz (zip) archive";
  if (NPY_MAGIC.every((byte, i) => bytes[i] === byte)) {
    throw new DataError({ file, expected, found: "a single .npy array (load it as .npy, or save with np.savez)" });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) {
    throw new DataError({ file, expected, found: "no zip end-of-central-directory record (not a zip, or truncated)" });
  }
  const { entryCount, offset: directoryStart, zip64 } = centralDirectoryLocation(view, eocd);
  const crcByEntry = new Map<string, number>();
  let offset = directoryStart;
  for (let entry = 0; entry < entryCount; entry++) {
    if (offset + ZIP_CD_HEADER_LENGTH > view.byteLength || view.getUint32(offset, true) !== ZIP_CD_SIGNATURE) {
      throw new DataError({
        file,
        expected: `zip central directory entry ${entry + 1} of ${entryCount} at byte ${offset}`,
        found: "something else (the archive is corrupt)",
      });
    }
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const nameStart = offset + ZIP_CD_HEADER_LENGTH;
    const name = decodeEntryName(bytes.subarray(nameStart, nameStart + nameLength), view.getUint16(offset + 8, true));
    checkDeclaredSize(file, name, view, { header: offset, extraStart: nameStart + nameLength, extraLength, zip64 });
    crcByEntry.set(name, view.getUint32(offset + 16, true));
    offset = nameStart + nameLength + extraLength + commentLength;
  }
  return crcByEntry;
}

/**
 * fflate allocates a deflated entry's declared uncompressed size before inflating it, so a corrupt size field would
 * allocate up to 4 GB (more through zip64): refuse a size that no deflate stream of the entry's length could reach.
 * Deflate expands at most 1032:1 (a 258-byte match in 2 bits). Stored entries are sliced, not allocated.
 */
function checkDeclaredSize(
  file: string,
  name: string,
  view: DataView,
  { header, extraStart, extraLength, zip64 }: { header: number; extraStart: number; extraLength: number; zip64: boolean },
): void {
  if (view.getUint16(header + 10, true) !== ZIP_METHOD_DEFLATE) return;
  let compressed = view.getUint32(header + 20, true);
  let size = view.getUint32(header + 24, true);
  if (zip64 && (size === ZIP64_MARKER || compressed === ZIP64_MARKER)) {
    // The zip64 extra field (id 1) holds the uncompressed size, then the compressed one, each only if marked.
    // fflate reads it only in a zip64 archive, as here; elsewhere it takes 0xffffffff as the size.
    const end = Math.min(extraStart + extraLength, view.byteLength);
    const read64 = (at: number) => (at + 8 <= end ? Number(view.getBigUint64(at, true)) : Infinity);
    for (let at = extraStart; at + 4 <= end; at += 4 + view.getUint16(at + 2, true)) {
      if (view.getUint16(at, true) !== ZIP64_EXTRA_ID) continue;
      const marked = size === ZIP64_MARKER;
      if (marked) size = read64(at + 4);
      if (compressed === ZIP64_MARKER) compressed = read64(at + (marked ? 12 : 4));
      break;
    }
  }
  const largest = Math.min(compressed, view.byteLength) * MAX_DEFLATE_RATIO;
  if (size > largest) {
    throw new DataError({
      file,
      part: `entry ${name}`,
      expected: `an uncompressed size deflate can reach from ${compressed} bytes (at most ${largest})`,
      found: `${size} (the archive is corrupt)`,
    });
  }
}

/** Names are UTF-8 when flag bit 11 is set, else CP437, which fflate reads as Latin-1: decode as fflate does. */
function decodeEntryName(name: Uint8Array, flags: number): string {
  return Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString(flags & ZIP_FLAG_UTF8 ? "utf8" : "latin1");
}

function findEndOfCentralDirectory(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - ZIP_EOCD_LENGTH - ZIP_MAX_COMMENT_LENGTH);
  for (let offset = view.byteLength - ZIP_EOCD_LENGTH; offset >= lowest; offset--) {
    if (view.getUint32(offset, true) === ZIP_EOCD_SIGNATURE) return offset;
  }
  return -1;
}

/** Entry count and offset of the central directory, from the zip64 record when the archive has one. */
function centralDirectoryLocation(view: DataView, eocd: number): { entryCount: number; offset: number; zip64: boolean } {
  const locator = eocd - ZIP64_LOCATOR_LENGTH;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64Eocd = Number(view.getBigUint64(locator + 8, true));
    if (zip64Eocd + 56 <= view.byteLength && view.getUint32(zip64Eocd, true) === ZIP64_EOCD_SIGNATURE) {
      return {
        entryCount: Number(view.getBigUint64(zip64Eocd + 32, true)),
        offset: Number(view.getBigUint64(zip64Eocd + 48, true)),
        zip64: true,
      };
    }
  }
  return { entryCount: view.getUint16(eocd + 10, true), offset: view.getUint32(eocd + 16, true), zip64: false };
}

/** Unzips the entries that pass `wanted`; fflate does not decompress the others. */
function unzipEntries(
  file: string,
  bytes: Uint8Array,
  wanted: (entryName: string) => boolean,
): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes, { filter: (entry) => wanted(entry.name) });
  } catch (error) {
    throw new DataError(
      { file, expected: "a readable zip archive", found: `a corrupt one (${errorMessage(error)})` },
      { cause: error },
    );
  }
}

/** Deflate has no checksum of its own, and stored entries none at all: the CRC is what catches a corrupt archive. */
function checkCrc(entry: Uint8Array, expectedCrc: number | undefined, source: NpySource): void {
  const actual = crc32(entry);
  if (actual !== expectedCrc) {
    const expected = `CRC-32 ${expectedCrc === undefined ? "from the zip directory" : hex32(expectedCrc)}`;
    throw new DataError({ ...source, expected, found: `${hex32(actual)} (the archive is corrupt)` });
  }
}

const CRC32_TABLE = Int32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  return crc;
});

/** The zip format's CRC-32 (polynomial 0xEDB88320); zlib.crc32 would be faster but needs Node 20.15. */
function crc32(bytes: Uint8Array): number {
  let crc = -1;
  for (let i = 0; i < bytes.length; i++) crc = CRC32_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Version 1.0 stores the header length in 2 bytes; 2.0 and 3.0 (UTF-8 header) in 4. */
function readNpyHeader(bytes: Uint8Array, source: NpySource): { header: string; dataStart: number } {
  const [major, minor] = [bytes[6], bytes[7]];
  if (major < 1 || major > 3) {
    throw new DataError({ ...source, expected: ".npy format version 1.0, 2.0 or 3.0", found: `${major}.${minor}` });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lengthFieldSize = major === 1 ? 2 : 4;
  const headerStart = 8 + lengthFieldSize;
  if (bytes.length < headerStart) {
    throw new DataError({ ...source, expected: "a .npy header length", found: "a truncated file" });
  }
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) {
    throw new DataError({
      ...source,
      expected: `a ${headerLength}-byte .npy header`,
      found: `${bytes.length - headerStart} bytes (truncated)`,
    });
  }
  const decoder = new TextDecoder(major === 3 ? "utf-8" : "latin1");
  return { header: decoder.decode(bytes.subarray(headerStart, dataStart)), dataStart };
}

/** Reads the three keys of the header, a Python dict literal: {'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), } */
function parseHeaderDict(header: string, source: NpySource) {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortranOrder = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortranOrder === undefined || shapeText === undefined) {
    // A structured dtype has a list for 'descr', which the pattern above does not match: say so plainly.
    const found = /['"]descr['"]\s*:\s*\[/.test(header) ? "a structured dtype" : header.trim();
    throw new DataError({
      ...source,
      expected: "a .npy header with 'descr' (a simple dtype), 'fortran_order' and 'shape'",
      found,
    });
  }
  return { descr, fortranOrder: fortranOrder === "True", shape: parseShape(shapeText, source) };
}

function parseShape(shapeText: string, source: NpySource): number[] {
  const dims = shapeText
    .split(",")
    .map((dim) => dim.trim())
    .filter((dim) => dim !== "");
  // Python 2 wrote longs with an L suffix, e.g. (60000L, 28L).
  if (!dims.every((dim) => /^\d+L?$/.test(dim))) {
    throw new DataError({ ...source, expected: "a shape of non-negative integers", found: `(${shapeText})` });
  }
  return dims.map((dim) => Number.parseInt(dim, 10));
}

/** Names a NumPy dtype string in words, e.g. "<f4" -> "float32", for error messages. */
function describeDescr(descr: string): string {
  const match = /^[|<>=]?([a-zA-Z])(\d+)$/.exec(descr);
  if (match === null) return "an unsupported dtype";
  const [, kind, size] = match;
  if (kind === "b") return "bool";
  const numericKinds: Record<string, string> = { i: "int", u: "uint", f: "float", c: "complex" };
  return kind in numericKinds ? `${numericKinds[kind]}${Number(size) * 8}` : "a non-numeric dtype";
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, "0")}`;
}

function hexPrefix(bytes: Uint8Array): string {
  if (bytes.length === 0) return "an empty file";
  const prefix = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join(" ");
  return `bytes ${prefix}`;
}
