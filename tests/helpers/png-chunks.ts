import { deflateSync } from "node:zlib";

/**
 * PNG files chunk by chunk, for tests that need a PNG no encoder would write: one carrying text or EXIF
 * metadata, or a header that promises more than the file holds. Every chunk written has a valid CRC.
 */

export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32 as PNG chunks use it (ISO 3309, over the chunk type and data). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  data: Uint8Array;
}

const latin1 = (text: string) => Uint8Array.from(text, (ch) => ch.charCodeAt(0));

/** One chunk: length, type, data, CRC. */
export function encodeChunk({ type, data }: PngChunk): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(latin1(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** An IHDR chunk: 8-bit RGB, no interlace. */
export function ihdrChunk(width: number, height: number): PngChunk {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  data[8] = 8; // bit depth
  data[9] = 2; // colour type: RGB
  return { type: "IHDR", data };
}

/** The chunks of a PNG, in order; throws on a bad signature, a truncated chunk or a wrong CRC. */
export function readPngChunks(png: Uint8Array): PngChunk[] {
  if (PNG_SIGNATURE.some((b, i) => png[i] !== b)) throw new Error("not a PNG signature");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  let offset = PNG_SIGNATURE.length;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new Error(`truncated chunk at ${offset}`);
    const length = view.getUint32(offset);
    if (offset + 12 + length > png.length) throw new Error(`truncated chunk at ${offset}`);
    const type = String.fromCharCode(...png.subarray(offset + 4, offset + 8));
    const data = png.slice(offset + 8, offset + 8 + length);
    if (crc32(png.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) throw new Error(`bad CRC in ${type}`);
    chunks.push({ type, data });
    offset += 12 + length;
  }
  return chunks;
}

/** The PNG with `extra` chunks inserted right after its IHDR. */
export function insertChunksAfterHeader(png: Uint8Array, extra: PngChunk[]): Uint8Array {
  const [ihdr, ...rest] = readPngChunks(png);
  if (ihdr?.type !== "IHDR") throw new Error("the PNG does not start with IHDR");
  return concatBytes(PNG_SIGNATURE, ...[ihdr, ...extra, ...rest].map(encodeChunk));
}

/** A tEXt chunk: keyword, NUL, Latin-1 text. */
export const textChunk = (keyword: string, text: string): PngChunk => ({ type: "tEXt", data: latin1(`${keyword}\0${text}`) });

/** An uncompressed iTXt chunk: keyword, NUL, flag 0, method 0, empty language and translated keyword, UTF-8 text. */
export const internationalTextChunk = (keyword: string, text: string): PngChunk => ({
  type: "iTXt",
  data: concatBytes(latin1(`${keyword}\0\0\0\0\0`), new TextEncoder().encode(text)),
});

/** An eXIf chunk holding a minimal big-endian TIFF header with one empty IFD, then `payload` (ignored by readers). */
export const exifChunk = (payload: string): PngChunk => ({
  type: "eXIf",
  data: concatBytes(Uint8Array.of(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0), latin1(payload)),
});

/** A zTXt chunk: keyword, NUL, method 0, the text deflated. */
export const compressedTextChunk = (keyword: string, text: string): PngChunk => ({
  type: "zTXt",
  data: concatBytes(latin1(`${keyword}\0\0`), new Uint8Array(deflateSync(latin1(text)))),
});
