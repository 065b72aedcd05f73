import { fromRgba, type PixelImage, toRgba } from "@/lib/image";
import { BROWSER_FORMATS, FORMAT_NAMES, sniffImage } from "@/lib/image-sniff";
import { MAX_PIXELS, MAX_UPLOAD_BYTES, tooManyBytesMessage, tooManyPixelsMessage } from "@/lib/limits";

type ByteImage = PixelImage<Uint8ClampedArray>;

/** Turning the visitor's file into pixels in the browser: checks first, with messages a visitor can act on. */

export interface Photo {
  bitmap: ImageBitmap;
  /** Displayed size (EXIF rotation applied). */
  width: number;
  height: number;
  name: string;
  bytes: number;
}

export class PhotoError extends Error {}

export async function loadPhoto(file: Blob, name: string): Promise<Photo> {
  if (file.size === 0) throw new PhotoError(`“${name}” is empty (0 bytes): choose another file.`);
  if (file.size > MAX_UPLOAD_BYTES) throw new PhotoError(`“${name}”: ${tooManyBytesMessage(file.size)}`);
  const head = new Uint8Array(await file.slice(0, Math.min(file.size, 1024 * 1024)).arrayBuffer());
  const sniffed = sniffImage(head);
  if (!sniffed) throw new PhotoError(`“${name}” is not an image we can read. Choose a JPEG, PNG, WebP or GIF photo.`);
  if (!BROWSER_FORMATS.includes(sniffed.format)) {
    throw new PhotoError(`“${name}” is a ${FORMAT_NAMES[sniffed.format]} image, which browsers cannot open here. Save it as JPEG or PNG and try again.`);
  }
  if (sniffed.width && sniffed.height && sniffed.width * sniffed.height > MAX_PIXELS) {
    throw new PhotoError(`“${name}”: ${tooManyPixelsMessage(sniffed.width, sniffed.height)}`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new PhotoError(`“${name}” could not be decoded: the file may be damaged or truncated.`);
  }
  if (bitmap.width * bitmap.height > MAX_PIXELS) {
    const { width, height } = bitmap;
    bitmap.close();
    throw new PhotoError(`“${name}”: ${tooManyPixelsMessage(width, height)}`);
  }
  if (bitmap.width < 1 || bitmap.height < 1) throw new PhotoError(`“${name}” has no pixels.`);
  return { bitmap, width: bitmap.width, height: bitmap.height, name, bytes: file.size };
}

function canvas2d(width: number, height: number): OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D {
  if (typeof OffscreenCanvas !== "undefined") {
    const context = new OffscreenCanvas(width, height).getContext("2d", { willReadFrequently: true });
    if (context) return context;
  }
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) throw new Error("this browser cannot draw on a canvas");
  return context;
}

/** The whole photo as RGB at `width` x `height` (its own size, or smaller). */
export async function photoPixels(photo: Photo, width = photo.width, height = photo.height): Promise<ByteImage> {
  let source: ImageBitmap = photo.bitmap;
  if (width !== photo.width || height !== photo.height) {
    source = await createImageBitmap(photo.bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: "high" });
  }
  const context = canvas2d(width, height);
  context.drawImage(source, 0, 0);
  if (source !== photo.bitmap) source.close();
  const { data } = context.getImageData(0, 0, width, height);
  return fromRgba(data, width, height);
}

/** A smaller copy of an image, resampled by the browser (high quality): the whole photo made small enough to share. */
export async function resizeImage(image: PixelImage, width: number, height: number): Promise<ByteImage> {
  const source = await createImageBitmap(new ImageData(toRgba(image), image.width, image.height), { resizeWidth: width, resizeHeight: height, resizeQuality: "high" });
  const context = canvas2d(width, height);
  context.drawImage(source, 0, 0);
  source.close();
  return fromRgba(context.getImageData(0, 0, width, height).data, width, height);
}

export async function encodePng(image: PixelImage): Promise<Blob> {
  const imageData = new ImageData(toRgba(image), image.width, image.height);
  if (typeof OffscreenCanvas !== "undefined") {
    const canvas = new OffscreenCanvas(image.width, image.height);
    canvas.getContext("2d")!.putImageData(imageData, 0, 0);
    return canvas.convertToBlob({ type: "image/png" });
  }
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext("2d")!.putImageData(imageData, 0, 0);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"));
}

/** Decodes a PNG exactly (no colour management), for images the server sends back. */
export async function decodePngExact(blob: Blob): Promise<ByteImage> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  const context = canvas2d(bitmap.width, bitmap.height);
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const image = fromRgba(data, bitmap.width, bitmap.height);
  bitmap.close();
  return image;
}
