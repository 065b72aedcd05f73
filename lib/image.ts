/**
 * The one image type for pixels in flight, in every runtime: interleaved values, row-major, `channels` per pixel
 * (channel-last, as tfjs expects; a batch is just more rows). Bytes 0..255 are what a PNG, a canvas or a data file
 * holds; floats in [0, 1] are what the models and the metrics read.
 */
export type PixelArray = Uint8Array | Uint8ClampedArray | Float32Array;

export interface PixelImage<T extends PixelArray = PixelArray> {
  data: T;
  width: number;
  height: number;
  channels: number;
}

/** An image over `data`, checked for the right number of values. */
export function pixelImage<T extends PixelArray>(data: T, width: number, height: number, channels = 3): PixelImage<T> {
  if (data.length !== width * height * channels) {
    throw new RangeError(`expected ${width}x${height}x${channels} = ${width * height * channels} values, got ${data.length}`);
  }
  return { data, width, height, channels };
}

/** What one stored value is worth in [0, 1]: 1 for floats, 1/255 for bytes. */
export function valueScale(data: PixelArray): number {
  return data instanceof Float32Array ? 1 : 1 / 255;
}

/** Bytes 0..255 (any channel count) to floats in [0, 1]. */
export function bytesToFloats(bytes: Uint8Array | Uint8ClampedArray): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/** Floats to bytes, rounded and clipped (Uint8ClampedArray does both). */
export function floatsToBytes(floats: Float32Array): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(floats.length);
  for (let i = 0; i < floats.length; i++) out[i] = floats[i] * 255;
  return out;
}

/** The image as floats in [0, 1] (the same image when it already is). */
export function toFloats(image: PixelImage): PixelImage<Float32Array> {
  return image.data instanceof Float32Array ? (image as PixelImage<Float32Array>) : { ...image, data: bytesToFloats(image.data) };
}

/** The image as bytes, rounded and clipped as an 8-bit file would hold it (the same image when it already is). */
export function toBytes(image: PixelImage): PixelImage<Uint8ClampedArray> {
  if (image.data instanceof Uint8ClampedArray) return image as PixelImage<Uint8ClampedArray>;
  return { ...image, data: image.data instanceof Float32Array ? floatsToBytes(image.data) : new Uint8ClampedArray(image.data) };
}

/**
 * Canvas RGBA bytes to an RGB byte image. Transparent pixels are composited onto white, so a PNG with an alpha
 * channel looks to the model as it looks on the page.
 */
export function fromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): PixelImage<Uint8ClampedArray> {
  if (rgba.length !== width * height * 4) throw new RangeError(`expected ${width}x${height} RGBA pixels, got ${rgba.length} values`);
  const out = new Uint8ClampedArray(width * height * 3);
  for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
    const alpha = rgba[p + 3] / 255;
    const white = 255 * (1 - alpha);
    out[q] = rgba[p] * alpha + white;
    out[q + 1] = rgba[p + 1] * alpha + white;
    out[q + 2] = rgba[p + 2] * alpha + white;
  }
  return { data: out, width, height, channels: 3 };
}

/** An RGB or grey (one channel: an MNIST digit) image to opaque canvas RGBA bytes, for ImageData. */
export function toRgba(image: PixelImage): Uint8ClampedArray<ArrayBuffer> {
  const { data, channels } = image;
  if (channels !== 1 && channels !== 3) throw new RangeError(`cannot show a ${channels}-channel image`);
  const scale = valueScale(data) * 255;
  const pixels = image.width * image.height;
  const out = new Uint8ClampedArray(new ArrayBuffer(pixels * 4));
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) out[p * 4 + c] = data[p * channels + (channels === 1 ? 0 : c)] * scale;
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** A square region of an image, in its displayed pixels: what the page and the route crop for the model. */
export interface Crop {
  x: number;
  y: number;
  size: number;
}

/** The default crop: the largest centred square. */
export function centredCrop(width: number, height: number): Crop {
  const size = Math.min(width, height);
  return { x: Math.floor((width - size) / 2), y: Math.floor((height - size) / 2), size };
}

/** A rectangle of an image (inside it), as an image of its own, of the same value type. */
export function cropImage<T extends PixelArray>(image: PixelImage<T>, rect: { x: number; y: number; width: number; height: number }): PixelImage<T> {
  const { channels } = image;
  if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > image.width || rect.y + rect.height > image.height) {
    throw new RangeError(`${rect.width}x${rect.height} at ${rect.x}, ${rect.y} is not inside a ${image.width}x${image.height} image`);
  }
  const data = new (image.data.constructor as new (length: number) => T)(rect.width * rect.height * channels);
  for (let y = 0; y < rect.height; y++) {
    const start = ((rect.y + y) * image.width + rect.x) * channels;
    data.set(image.data.subarray(start, start + rect.width * channels), y * rect.width * channels);
  }
  return { data, width: rect.width, height: rect.height, channels };
}
