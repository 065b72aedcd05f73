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

/**
 * Largest whole photo the page denoises through the server: it sends it tile by tile, one request per tile (each
 * far under SERVER_REQUEST_MAX_PIXELS), about a minute of the server's time in all.
 */
export const SERVER_FULL_RES_MAX_PIXELS = 4_000_000;

/**
 * The compute budget of one POST /api/denoise?full=true: the most pixels it runs through the model. The DAE with
 * its full-resolution head costs 8-12 s a megapixel on one core of a 2-core EPYC (docs/server.md), so one request
 * holds an inference thread for 2-3 s at most; the page's own tiles (300x300 at most) are far under it. Checked from the image's header,
 * before decoding.
 */
export const SERVER_REQUEST_MAX_PIXELS = 250_000;

/** The largest square of at most `pixels` pixels: its side. */
export function largestSquareSide(pixels: number): number {
  return Math.floor(Math.sqrt(pixels));
}

export function megapixels(pixels: number): string {
  // Two decimals under one megapixel, where one would round the budget's 0.25 up.
  return `${(pixels / 1e6).toFixed(pixels < 1e6 ? 2 : 1)} megapixels`;
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
