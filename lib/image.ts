/**
 * Conversions between the pixel layouts the project meets: canvas RGBA bytes (browser), packed RGB bytes (sharp,
 * the data files) and float RGB in [0, 1] (the models). Float images are HWC, batches NHWC, channel-last as tfjs
 * expects.
 */
export interface FloatImage {
  data: Float32Array;
  width: number;
  height: number;
  channels: number;
}

export function floatImage(data: Float32Array, width: number, height: number, channels = 3): FloatImage {
  if (data.length !== width * height * channels) {
    throw new RangeError(`expected ${width}x${height}x${channels} = ${width * height * channels} values, got ${data.length}`);
  }
  return { data, width, height, channels };
}

/** Bytes 0..255 (any channel count) to floats in [0, 1]. */
export function bytesToFloats(bytes: Uint8Array | Uint8ClampedArray): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] / 255;
  return out;
}

/** Floats to bytes, rounded and clipped (Uint8ClampedArray does both). */
export function floatsToBytes(floats: Float32Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(floats.length);
  for (let i = 0; i < floats.length; i++) out[i] = floats[i] * 255;
  return out;
}

/**
 * Canvas RGBA bytes to float RGB. Transparent pixels are composited onto `background` (white by default), so a
 * PNG with an alpha channel looks to the model as it looks on the page.
 */
export function rgbaToRgbFloats(rgba: Uint8Array | Uint8ClampedArray, background: [number, number, number] = [1, 1, 1]): Float32Array {
  if (rgba.length % 4 !== 0) throw new RangeError(`RGBA data length ${rgba.length} is not a multiple of 4`);
  const pixels = rgba.length / 4;
  const out = new Float32Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const alpha = rgba[p * 4 + 3] / 255;
    for (let c = 0; c < 3; c++) {
      out[p * 3 + c] = (rgba[p * 4 + c] / 255) * alpha + background[c] * (1 - alpha);
    }
  }
  return out;
}

/** Float RGB to opaque canvas RGBA bytes (for ImageData / putImageData). */
export function rgbFloatsToRgba(rgb: Float32Array): Uint8ClampedArray {
  if (rgb.length % 3 !== 0) throw new RangeError(`RGB data length ${rgb.length} is not a multiple of 3`);
  const pixels = rgb.length / 3;
  const out = new Uint8ClampedArray(pixels * 4);
  for (let p = 0; p < pixels; p++) {
    out[p * 4] = rgb[p * 3] * 255;
    out[p * 4 + 1] = rgb[p * 3 + 1] * 255;
    out[p * 4 + 2] = rgb[p * 3 + 2] * 255;
    out[p * 4 + 3] = 255;
  }
  return out;
}

/** Single-channel floats (an MNIST digit) to opaque grey RGBA bytes. */
export function grayFloatsToRgba(gray: Float32Array): Uint8ClampedArray {
  const out = new Uint8ClampedArray(gray.length * 4);
  for (let i = 0; i < gray.length; i++) {
    out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = gray[i] * 255;
    out[i * 4 + 3] = 255;
  }
  return out;
}
