import "server-only";
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { FACE_SIDE } from "../catalogue";
import { centredCrop, type Crop, type PixelImage } from "../image";
import { sniffImage } from "../image-sniff";
import { MAX_PIXELS, MAX_UPLOAD_BYTES, tooManyBytesMessage, tooManyPixelsMessage } from "../limits";
import { HttpError } from "./http";

type ByteImage = PixelImage<Uint8ClampedArray>;

// libvips' operation cache (on by default, up to 50 MB and 100 operations a process) only pays when the same image
// is processed again; every upload here is new, so it only held memory and cost lookups: with it off, a 64x64
// request's three sharp calls take about 2.25 ms of CPU instead of 2.5 (docs/server.md, "Throughput"). Process-wide.
sharp.cache(false);

/**
 * Decoding uploads on the server with sharp: sniff, refuse what is too big before decoding it, undo
 * EXIF rotation, flatten transparency onto white (as the page does), then crop and resize like the page.
 */

export const ACCEPTED_FORMATS = ["jpeg", "png", "webp", "gif"] as const;

export interface UploadInfo {
  format: string;
  /** Size as displayed, after EXIF rotation. */
  width: number;
  height: number;
}

/** Reads the header only: format and displayed size, or the HTTP error to answer with. */
export async function inspectUpload(bytes: Uint8Array): Promise<UploadInfo> {
  if (bytes.length === 0) throw new HttpError(400, "The image is empty (0 bytes).");
  if (bytes.length > MAX_UPLOAD_BYTES) throw new HttpError(413, tooManyBytesMessage(bytes.length));
  // The size the header declares, before sharp reads further: a huge image is refused for its size even when
  // what follows the header is damaged (sharp would call it unreadable).
  const sniffed = sniffImage(bytes);
  if (sniffed?.width && sniffed.height && (ACCEPTED_FORMATS as readonly string[]).includes(sniffed.format) && sniffed.width * sniffed.height > MAX_PIXELS) {
    throw new HttpError(413, tooManyPixelsMessage(sniffed.width, sniffed.height));
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new HttpError(415, "This is not an image we can read: send a JPEG, PNG, WebP or GIF.");
  }
  if (!meta.format || !(ACCEPTED_FORMATS as readonly string[]).includes(meta.format)) {
    throw new HttpError(415, `${String(meta.format ?? "this format").toUpperCase()} images are not supported: send a JPEG, PNG, WebP or GIF.`);
  }
  const storedWidth = meta.width ?? 0;
  const storedHeight = meta.pageHeight ?? meta.height ?? 0;
  if (!storedWidth || !storedHeight) throw new HttpError(422, "The image has no size: it may be damaged.");
  const rotated = (meta.orientation ?? 1) >= 5;
  const [width, height] = rotated ? [storedHeight, storedWidth] : [storedWidth, storedHeight];
  if (width * height > MAX_PIXELS) throw new HttpError(413, tooManyPixelsMessage(width, height));
  return { format: meta.format, width, height };
}

function pipeline(bytes: Uint8Array): Sharp {
  return sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: "error", pages: 1 })
    .rotate()
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .toColourspace("srgb");
}

async function toRgb(image: Sharp): Promise<ByteImage> {
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch {
    // Not sharp's own message: it names libvips' internals (loaders, buffers), nothing the sender can act on.
    throw new HttpError(422, "The image could not be decoded: it may be damaged or truncated.");
  }
  const { data, info } = result;
  if (info.channels !== 3) throw new HttpError(422, "The image could not be decoded into red, green and blue: send an ordinary photo.");
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: 3 };
}

function checkCrop(crop: Crop, info: UploadInfo): Crop {
  const { x, y, size } = crop;
  if (size < 1 || x < 0 || y < 0 || x + size > info.width || y + size > info.height) {
    throw new HttpError(400, `The crop ${x},${y},${size} does not fit inside the ${info.width}x${info.height} image.`);
  }
  return crop;
}

/** The model's input: a square crop (centred by default) resized to 64x64, as on the page. */
export async function decodeCrop(bytes: Uint8Array, info: UploadInfo, crop?: Crop): Promise<ByteImage> {
  const { x, y, size } = checkCrop(crop ?? centredCrop(info.width, info.height), info);
  return toRgb(
    pipeline(bytes)
      .extract({ left: x, top: y, width: size, height: size })
      .resize(FACE_SIDE, FACE_SIDE, { fit: "fill", kernel: "lanczos3" }),
  );
}

/** The whole image (or a crop of it) at its own resolution. */
export async function decodeFull(bytes: Uint8Array, info: UploadInfo, crop?: Crop): Promise<ByteImage> {
  let image = pipeline(bytes);
  if (crop) {
    const { x, y, size } = checkCrop(crop, info);
    image = image.extract({ left: x, top: y, width: size, height: size });
  }
  return toRgb(image);
}

export async function encodePng(image: ByteImage): Promise<Buffer> {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: image.channels as 3 },
  })
    .png({ compressionLevel: 6 })
    .toBuffer();
}
