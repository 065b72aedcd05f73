import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { zipSync } from "fflate";
import { describe, expect, it, vi } from "vitest";
import { createRandom } from "@/lib/random";
import { DataError } from "@/training/data/errors";
import { loadMnist, readIdxImages, readIdxLabels } from "@/training/data/idx";
import { readNpz } from "@/training/data/npz";
import { fixture } from "./data-test-helpers";

/**
 * Fuzzing the .npz and IDX readers (issue #13, item 8): every truncation length and a few thousand seeded byte
 * flips of valid fixtures. Each parse must either succeed (a flip in pixel data is legal) or throw the loaders' own
 * DataError with a one-line message naming the file: never a TypeError, a RangeError, a raw zlib or fflate error,
 * an allocation the size of a corrupt header field, or a parse that takes seconds.
 *
 * The loaders take file names, so node:fs is mocked to serve the mutated bytes from memory under VIRTUAL_DIR
 * (readDataFile and the loaders run unchanged): hundreds of thousands of temporary files would cost more than the
 * parses themselves.
 */

const virtualFiles = vi.hoisted(() => new Map<string, Uint8Array>());

vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const readFileSync = ((file: unknown, ...rest: unknown[]) => {
    const bytes = typeof file === "string" ? virtualFiles.get(file) : undefined;
    if (bytes !== undefined) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return (fs.readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.readFileSync;
  const existsSync = ((file: unknown) => (typeof file === "string" && virtualFiles.has(file)) || fs.existsSync(file as string)) as typeof fs.existsSync;
  return { ...fs, default: { ...fs, readFileSync, existsSync }, readFileSync, existsSync };
});

const VIRTUAL_DIR = "/virtual-fuzz";
const FILE = `${VIRTUAL_DIR}/input`;

/**
 * A parse slower than this is a hang for our purposes, not a speed limit: the largest fixture parses in a few
 * milliseconds, so even a machine under heavy load stays far from it. (A parse
 * that never returned would stall the test rather than fail it: synchronous code cannot be interrupted in-thread.)
 */
const SLOW_PARSE_MS = 5_000;
/**
 * A parse may allocate what its input could decompress to (deflate expands at most 1032:1) and some working memory;
 * more, still alive right after the parse, means it allocated what a corrupt header declared.
 */
const allocationLimit = (inputLength: number) => 64 * 2 ** 20 + 1032 * inputLength;

interface FuzzStats {
  started: number;
  cases: number;
  parsed: number;
  dataErrors: number;
  failures: string[];
  slowest: { ms: number; label: string };
}

const newStats = (): FuzzStats => ({ started: performance.now(), cases: 0, parsed: 0, dataErrors: 0, failures: [], slowest: { ms: 0, label: "" } });

/**
 * Serves `bytes` as FILE, runs `parse` and records the outcome: success, a well-formed DataError, or a failure
 * (anything else thrown, a malformed DataError, a slow parse, a huge allocation). `checkMemory` samples the
 * process's ArrayBuffer total after the parse, before the garbage collector could have freed what it allocated.
 */
function attempt(stats: FuzzStats, label: string, bytes: Uint8Array, parse: () => unknown, checkMemory = false): void {
  virtualFiles.set(FILE, bytes);
  stats.cases++;
  const arrayBuffersBefore = checkMemory ? process.memoryUsage().arrayBuffers : 0;
  const start = performance.now();
  try {
    parse();
    stats.parsed++;
  } catch (error) {
    if (!(error instanceof DataError)) {
      const name = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
      stats.failures.push(`${label}: ${name}`);
    } else if (/[\r\n]/.test(error.message) || !error.message.startsWith(`${VIRTUAL_DIR}/`)) {
      stats.failures.push(`${label}: malformed DataError message ${JSON.stringify(error.message)}`);
    } else {
      stats.dataErrors++;
    }
  }
  const ms = performance.now() - start;
  if (ms > stats.slowest.ms) stats.slowest = { ms, label };
  if (ms > SLOW_PARSE_MS) stats.failures.push(`${label}: took ${ms.toFixed(0)} ms`);
  if (checkMemory) {
    const allocated = process.memoryUsage().arrayBuffers - arrayBuffersBefore;
    if (allocated > allocationLimit(bytes.length)) stats.failures.push(`${label}: ${(allocated / 2 ** 20).toFixed(0)} MiB more ArrayBuffers after the parse`);
  }
}

function expectNoFailures(stats: FuzzStats, what: string): void {
  console.info(
    `${what}: ${stats.cases} cases in ${((performance.now() - stats.started) / 1000).toFixed(1)} s, ${stats.parsed} parsed, ${stats.dataErrors} DataErrors, slowest ${stats.slowest.ms.toFixed(1)} ms (${stats.slowest.label})`,
  );
  // The first few, readably; the count says how many more.
  expect({ count: stats.failures.length, first: stats.failures.slice(0, 8) }).toEqual({ count: 0, first: [] });
}

/**
 * Every truncation length in [0, length]; or, given `landmarks` (for a big file), every length within 4 KB of the
 * start and of the end and within 256 bytes of each landmark, and a stride between.
 */
function truncationLengths(length: number, landmarks?: readonly number[]): number[] {
  if (landmarks === undefined) return Array.from({ length: length + 1 }, (_, i) => i);
  const lengths = new Set<number>();
  const addRange = (from: number, to: number) => {
    for (let i = Math.max(0, from); i <= Math.min(length, to); i++) lengths.add(i);
  };
  addRange(0, 4096);
  addRange(length - 4096, length);
  for (const offset of landmarks) addRange(offset - 256, offset + 256);
  for (let i = 0; i <= length; i += 97) lengths.add(i); // a prime stride, to land on every alignment
  return [...lengths].sort((a, b) => a - b);
}

/** A byte range that holds structure (headers, directories) rather than payload: where flips are most telling. */
type Range = readonly [start: number, end: number];

/**
 * `count` seeded mutations of `bytes`, each a copy: 1 to 8 bytes changed, half of them inside `structure` (where
 * a uniform pick in a big file would rarely land), by XOR with a random non-zero byte or by setting 0x00 or 0xff
 * (the extremes of a length field; 0xffffffff also marks a zip64 field).
 */
function* randomFlips(bytes: Uint8Array, structure: readonly Range[], count: number, seed: number): Generator<[string, Uint8Array]> {
  const random = createRandom(seed);
  const int = (n: number) => Math.floor(random.uniform() * n);
  const position = () => {
    if (structure.length === 0 || random.uniform() < 0.5) return int(bytes.length);
    const [start, end] = structure[int(structure.length)];
    return start + int(end - start);
  };
  for (let n = 0; n < count; n++) {
    const copy = new Uint8Array(bytes); // a copy even of a Buffer, whose slice() is a view
    const flips = random.uniform() < 0.5 ? 1 : 2 + int(7);
    const changes: string[] = [];
    for (let f = 0; f < flips; f++) {
      const at = position();
      const kind = random.uniform();
      copy[at] = kind < 0.7 ? copy[at] ^ (1 + int(255)) : kind < 0.85 ? 0x00 : 0xff;
      changes.push(`${at}=${copy[at].toString(16)}`);
    }
    yield [`flip #${n} (${changes.join(" ")})`, copy];
  }
}

/** Every byte of `ranges`, set to each of a few values (x ^ 0xff, 0x00, 0xff, x + 1, x - 1): an exhaustive single-byte sweep. */
function* sweep(bytes: Uint8Array, ranges: readonly Range[]): Generator<[string, Uint8Array]> {
  for (const [start, end] of ranges) {
    for (let at = start; at < Math.min(end, bytes.length); at++) {
      const original = bytes[at];
      for (const value of new Set([original ^ 0xff, 0x00, 0xff, (original + 1) & 0xff, (original - 1) & 0xff])) {
        if (value === original) continue;
        const copy = new Uint8Array(bytes); // a copy even of a Buffer, whose slice() is a view
        copy[at] = value;
        yield [`byte ${at} ${original.toString(16)}->${value.toString(16)}`, copy];
      }
    }
  }
}

/**
 * The structure of a zip: `headers`, its local headers and the central directory through the end record; `ranges`,
 * the same with the first 128 bytes of each entry (the .npy header of a stored entry, the start of a deflate
 * stream). Parsed here independently of the reader under test.
 */
function zipStructure(bytes: Uint8Array): { headers: Range[]; ranges: Range[]; localHeaders: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const entries = view.getUint16(eocd + 10, true);
  const cdStart = view.getUint32(eocd + 16, true);
  const headers: Range[] = [[cdStart, bytes.length]];
  const ranges: Range[] = [[cdStart, bytes.length]];
  const localHeaders: number[] = [];
  for (let i = 0, at = cdStart; i < entries; i++) {
    const local = view.getUint32(at + 42, true);
    localHeaders.push(local);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    headers.push([local, dataStart]);
    ranges.push([local, dataStart + 128]);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return { headers, ranges, localHeaders };
}

const read = (name: string) => new Uint8Array(readFileSync(fixture(name)));

describe("readNpz under truncation and byte flips", () => {
  const parseAll = () => readNpz(FILE);

  it("npy-versions.npz (stored, 958 bytes, .npy 1.0/2.0/3.0): every truncation length, every byte swept, random flips", () => {
    const bytes = read("npy-versions.npz");
    const stats = newStats();
    for (const length of truncationLengths(bytes.length)) attempt(stats, `truncated to ${length}`, bytes.subarray(0, length), parseAll);
    for (const [label, mutated] of sweep(bytes, [[0, bytes.length]])) attempt(stats, label, mutated, parseAll, true);
    for (const [label, mutated] of randomFlips(bytes, [], 500, 1)) attempt(stats, label, mutated, parseAll, true);
    expectNoFailures(stats, "npy-versions.npz");
  });

  it("faces-small-gray.npz (deflated, 31 KB): every truncation length, zip headers swept, random flips", () => {
    const bytes = read("faces-small-gray.npz");
    const { headers, ranges } = zipStructure(bytes);
    const stats = newStats();
    for (const length of truncationLengths(bytes.length)) attempt(stats, `truncated to ${length}`, bytes.subarray(0, length), parseAll);
    for (const [label, mutated] of sweep(bytes, headers)) attempt(stats, label, mutated, parseAll, true);
    for (const [label, mutated] of randomFlips(bytes, ranges, 500, 2)) attempt(stats, label, mutated, parseAll, true);
    expectNoFailures(stats, "faces-small-gray.npz");
  });

  it("faces-small.npz (stored, 197 KB): truncations (all near the start, the end and each entry, a stride between), zip headers swept, random flips", () => {
    const bytes = read("faces-small.npz");
    const { headers, ranges, localHeaders } = zipStructure(bytes);
    const stats = newStats();
    for (const length of truncationLengths(bytes.length, localHeaders)) attempt(stats, `truncated to ${length}`, bytes.subarray(0, length), parseAll);
    for (const [label, mutated] of sweep(bytes, headers)) attempt(stats, label, mutated, parseAll, true);
    for (const [label, mutated] of randomFlips(bytes, ranges, 300, 3)) attempt(stats, label, mutated, parseAll, true);
    expectNoFailures(stats, "faces-small.npz");
  });

  // Inflating 196 KB per case makes a sweep of this one slow: faces-small-gray.npz, the same layout, is swept above.
  it("faces-small-compressed.npz (deflated, 180 KB): truncations (all near the start, the end and each entry, a stride between), random flips", () => {
    const bytes = read("faces-small-compressed.npz");
    const { ranges, localHeaders } = zipStructure(bytes);
    const stats = newStats();
    for (const length of truncationLengths(bytes.length, localHeaders)) attempt(stats, `truncated to ${length}`, bytes.subarray(0, length), parseAll);
    for (const [label, mutated] of randomFlips(bytes, ranges, 200, 4)) attempt(stats, label, mutated, parseAll, true);
    expectNoFailures(stats, "faces-small-compressed.npz");
  });
});

describe("IDX readers under truncation and byte flips", () => {
  const imagesGz = read("mnist-small/t10k-images-idx3-ubyte.gz");
  const labelsGz = read("mnist-small/t10k-labels-idx1-ubyte.gz");
  const imagesRaw = new Uint8Array(gunzipSync(imagesGz));
  const labelsRaw = new Uint8Array(gunzipSync(labelsGz));
  // The gzip header (10 bytes, more with a name) and trailer (CRC-32 and length); the IDX header of a raw file.
  const gzipStructure = (bytes: Uint8Array): Range[] => [
    [0, 32],
    [bytes.length - 8, bytes.length],
  ];
  const idxStructure: Range[] = [[0, 16]];

  for (const [name, bytes, parse, structure, seed] of [
    ["images, gzipped", imagesGz, () => readIdxImages(FILE), gzipStructure(imagesGz), 5],
    ["images, raw", imagesRaw, () => readIdxImages(FILE), idxStructure, 6],
    ["labels, gzipped", labelsGz, () => readIdxLabels(FILE), gzipStructure(labelsGz), 7],
    ["labels, raw", labelsRaw, () => readIdxLabels(FILE), idxStructure, 8],
  ] as const) {
    it(`${name} (${bytes.length} bytes): every truncation length, header swept, random flips`, () => {
      const stats = newStats();
      for (const length of truncationLengths(bytes.length)) attempt(stats, `truncated to ${length}`, bytes.subarray(0, length), parse);
      for (const [label, mutated] of sweep(bytes, structure)) attempt(stats, label, mutated, parse, true);
      for (const [label, mutated] of randomFlips(bytes, structure, 500, seed)) attempt(stats, label, mutated, parse, true);
      expectNoFailures(stats, `IDX ${name}`);
    });
  }

  it("loadMnist: a folder of the four files, one of them truncated or flipped", () => {
    const names = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"];
    const originals = names.map((name) => [path.join(VIRTUAL_DIR, name), read(`mnist-small/${name}`)] as const);
    const rawLabels = new Uint8Array(gunzipSync(labelsGz));
    const stats = newStats();
    const random = createRandom(9);
    try {
      for (let n = 0; n < 200; n++) {
        for (const [file, bytes] of originals) virtualFiles.set(file, bytes);
        // Labels raw (the raw file wins over .gz): flips there reach loadMnist's own checks (digit labels, counts).
        const target = n % 2 === 0 ? originals[Math.floor(random.uniform() * 4)] : ([path.join(VIRTUAL_DIR, "t10k-labels-idx1-ubyte"), rawLabels] as const);
        const mutated = target[1].slice(0, n % 5 === 0 ? Math.floor(random.uniform() * target[1].length) : target[1].length);
        for (let f = 0; f < 1 + Math.floor(random.uniform() * 3); f++) mutated[Math.floor(random.uniform() * mutated.length)] ^= 1 + Math.floor(random.uniform() * 255);
        virtualFiles.set(target[0], mutated);
        attempt(stats, `case ${n}: ${path.basename(target[0])}`, mutated, () => loadMnist(VIRTUAL_DIR), true);
        virtualFiles.delete(path.join(VIRTUAL_DIR, "t10k-labels-idx1-ubyte"));
      }
    } finally {
      for (const [file] of originals) virtualFiles.delete(file);
    }
    expectNoFailures(stats, "loadMnist");
  });
});

/**
 * The same archive in zip64 form, as writers produce for entries or archives past 4 GB: every central directory
 * entry's sizes marked 0xffffffff and held in a zip64 extra field, a zip64 end record and its locator, and the
 * classic end record's fields marked. `size` overrides the first entry's uncompressed size in the extra field.
 */
function toZip64(bytes: Uint8Array, { size }: { size?: bigint } = {}): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = bytes.length - 22;
  const entries = view.getUint16(eocd + 10, true);
  const cdStart = view.getUint32(eocd + 16, true);
  const parts: Uint8Array[] = [bytes.subarray(0, cdStart)];
  for (let i = 0, at = cdStart; i < entries; i++) {
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const header = bytes.slice(at, at + 46 + nameLength);
    const h = new DataView(header.buffer);
    const extra = new DataView(new ArrayBuffer(20));
    extra.setUint16(0, 1, true);
    extra.setUint16(2, 16, true);
    extra.setBigUint64(4, i === 0 && size !== undefined ? size : BigInt(h.getUint32(24, true)), true);
    extra.setBigUint64(12, BigInt(h.getUint32(20, true)), true);
    h.setUint32(20, 0xffffffff, true);
    h.setUint32(24, 0xffffffff, true);
    h.setUint16(30, extraLength + 20, true);
    const rest = bytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength + commentLength);
    parts.push(header, new Uint8Array(extra.buffer), rest);
    at += 46 + nameLength + extraLength + commentLength;
  }
  const cdLength = parts.slice(1).reduce((total, part) => total + part.length, 0);
  const zip64Eocd = cdStart + cdLength;
  const records = new DataView(new ArrayBuffer(56 + 20 + 22));
  records.setUint32(0, 0x06064b50, true);
  records.setBigUint64(4, 44n, true);
  records.setUint16(12, 45, true);
  records.setUint16(14, 45, true);
  records.setBigUint64(24, BigInt(entries), true);
  records.setBigUint64(32, BigInt(entries), true);
  records.setBigUint64(40, BigInt(cdLength), true);
  records.setBigUint64(48, BigInt(cdStart), true);
  records.setUint32(56, 0x07064b50, true);
  records.setBigUint64(64, BigInt(zip64Eocd), true);
  records.setUint32(72, 1, true);
  records.setUint32(76, 0x06054b50, true);
  records.setUint16(84, 0xffff, true);
  records.setUint16(86, 0xffff, true);
  records.setUint32(88, 0xffffffff, true);
  records.setUint32(92, 0xffffffff, true);
  parts.push(new Uint8Array(records.buffer));
  return new Uint8Array(Buffer.concat(parts));
}

/** Runs `parse` on `bytes` and returns the DataError it throws (failing on success or any other error). */
function dataErrorOf(bytes: Uint8Array, parse: () => unknown): DataError {
  virtualFiles.set(FILE, bytes);
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error("expected a DataError, but the parse succeeded");
}

describe("zip64 archives", () => {
  const gray = read("faces-small-gray.npz");

  it("reads the zip64 form of an archive as the archive itself", () => {
    virtualFiles.set(FILE, gray);
    const plain = readNpz(FILE);
    virtualFiles.set(FILE, toZip64(gray));
    const zip64 = readNpz(FILE);
    expect(Object.keys(zip64).sort()).toEqual(Object.keys(plain).sort());
    for (const name of Object.keys(plain)) {
      expect(zip64[name].shape).toEqual(plain[name].shape);
      expect(Buffer.compare(zip64[name].data, plain[name].data)).toBe(0);
    }
  });

  it("survives truncation near its end, its directory and records swept, and random flips", () => {
    const bytes = toZip64(gray);
    const cdStart = new DataView(gray.buffer).getUint32(gray.length - 22 + 16, true);
    const stats = newStats();
    for (let length = bytes.length - 512; length <= bytes.length; length++) attempt(stats, `truncated to ${length}`, bytes.subarray(0, length), () => readNpz(FILE));
    for (const [label, mutated] of sweep(bytes, [[cdStart, bytes.length]])) attempt(stats, label, mutated, () => readNpz(FILE), true);
    for (const [label, mutated] of randomFlips(bytes, [[cdStart, bytes.length]], 200, 10)) attempt(stats, label, mutated, () => readNpz(FILE), true);
    expectNoFailures(stats, "faces-small-gray.npz as zip64");
  });
});

describe("header fields declaring absurd sizes are refused without allocating them", () => {
  const setUint32 = (bytes: Uint8Array, at: number, value: number) => new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value, true);

  it("a zip directory entry declaring a huge uncompressed size: a DataError for a deflated entry, unused for a stored one", () => {
    const stats = newStats();
    for (const name of ["faces-small.npz", "faces-small-compressed.npz"]) {
      const bytes = read(name);
      const cdStart = new DataView(bytes.buffer).getUint32(bytes.length - 22 + 16, true);
      for (const size of [0xfffffff0, 0xffffffff, 0x7fffffff, 0x10000000]) {
        const mutated = bytes.slice();
        setUint32(mutated, cdStart + 24, size); // the first entry's uncompressed size
        attempt(stats, `${name}: uncompressed size ${size}`, mutated, () => readNpz(FILE), true);
        if (name === "faces-small-compressed.npz") {
          expect(dataErrorOf(mutated, () => readNpz(FILE)).message).toMatch(/entry x_train\.npy: expected an uncompressed size deflate can reach/);
        }
      }
    }
    expectNoFailures(stats, "declared zip sizes");
    expect(stats.parsed).toBe(4); // the stored entries: fflate slices them by their compressed size
  });

  it("the same through a zip64 extra field (sizes up to 2^64)", () => {
    const gray = read("faces-small-gray.npz");
    for (const size of [2n ** 32n, 2n ** 40n, 2n ** 64n - 1n]) {
      const error = dataErrorOf(toZip64(gray, { size }), () => readNpz(FILE));
      expect(error.message).toMatch(/entry x_train\.npy: expected an uncompressed size deflate can reach/);
    }
    // Marked sizes without the extra field that should hold them: fflate's own error, wrapped.
    const bytes = toZip64(gray);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const cdStart = new DataView(gray.buffer).getUint32(gray.length - 22 + 16, true);
    view.setUint16(cdStart + 46 + view.getUint16(cdStart + 28, true), 0x9999, true); // the extra field's id
    expect(dataErrorOf(bytes, () => readNpz(FILE)).message).toMatch(/corrupt/);
  });

  it("an .npy shape or IDX dimensions far beyond the file", () => {
    const stats = newStats();
    for (const shape of ["(9999999, 4, 4, 3)", "(99999999999999999999, 4)", "(4294967295, 4294967295)", "(1e9,)", "(-5,)"]) {
      const header = `{'descr': '|u1', 'fortran_order': False, 'shape': ${shape}, }`.padEnd(117) + "\n";
      const npy = Uint8Array.from([0x93, ...Buffer.from("NUMPY"), 1, 0, header.length, 0, ...Buffer.from(header, "latin1"), 1, 2, 3, 4]);
      const archive = zipSync({ "x_train.npy": [npy, { level: 0 }] });
      attempt(stats, `shape ${shape}`, archive, () => readNpz(FILE), true);
    }
    const images = new Uint8Array(gunzipSync(read("mnist-small/t10k-images-idx3-ubyte.gz")));
    for (const count of [0xffffffff, 0x7fffffff]) {
      const mutated = images.slice();
      new DataView(mutated.buffer).setUint32(4, count);
      attempt(stats, `IDX count ${count}`, mutated, () => readIdxImages(FILE), true);
    }
    expectNoFailures(stats, "declared shapes");
  });
});
