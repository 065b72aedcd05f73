/** Limits shared by the page and the server route, so both turn the same files away with the same words. */

/** Largest upload, in bytes (phone JPEGs are 3-15 MB). */
export const MAX_UPLOAD_BYTES = 30 * 1024 * 1024;

/**
 * Largest request body the server routes read: under the 4.5 MB that Vercel's functions accept, so a request is
 * refused by our route with a JSON error rather than by the platform. The page sends the server small PNGs (the
 * 64x64 crop, or full-resolution tiles), far under it.
 */
export const SERVER_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Largest image, in pixels, either side will decode: 25 megapixels (a 30-megapixel photo is refused). */
export const MAX_PIXELS = 25_000_000;

/** Largest image the server denoises at full resolution (single-threaded WASM: about a minute). */
export const SERVER_FULL_RES_MAX_PIXELS = 4_000_000;

export function megapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(1)} megapixels`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function tooManyPixelsMessage(width: number, height: number, limit = MAX_PIXELS): string {
  return `This image is ${width}×${height} (${megapixels(width * height)}); the limit is ${megapixels(limit).replace(".0 ", " ")}. Please use a smaller copy.`;
}

export function tooManyBytesMessage(bytes: number): string {
  return `This file is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_UPLOAD_BYTES)}.`;
}
