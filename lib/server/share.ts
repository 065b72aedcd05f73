import "server-only";
import { randomBytes } from "node:crypto";
import sharp from "sharp";
import { z } from "zod";
import { NOISE_KINDS } from "../noise";
import { HttpError } from "./http";
import { getStorage, type Storage } from "./storage";

/**
 * "Share this result": a visitor who chooses to share a denoised face gets a public link to it. Only
 * what the request carries is stored (the noisy and the denoised image, the noise setting and the scores); the
 * original photo never leaves the page for this.
 *
 * A share is three objects under `shares/<id>/`: the two images, re-encoded by sharp (which proves they are PNGs
 * and drops any metadata they carried), and `share.json`, written last, so that a share without it is unfinished
 * and reads as missing.
 */

export const SHARE_IMAGES = ["noisy", "denoised"] as const;
export type ShareImage = (typeof SHARE_IMAGES)[number];

/** The largest side a shared image may have: the page shares its 64x64 results; this leaves room for more. */
export const MAX_SHARE_SIDE = 1024;

const score = z.number().finite().min(-1).max(200).nullable();
const dataUrlPng = z
  .string()
  .max(3_000_000)
  .regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/, "must be a data:image/png;base64 URL");

export const shareRequestSchema = z.object({
  noisy: dataUrlPng,
  denoised: dataUrlPng,
  noise: z.object({ kind: z.enum(NOISE_KINDS), level: z.number().finite().min(0).max(1) }),
  metrics: z.object({ psnrNoisy: score, psnrDenoised: score, ssimNoisy: score, ssimDenoised: score }).partial().optional(),
});
export type ShareRequest = z.infer<typeof shareRequestSchema>;

export interface ShareRecord {
  id: string;
  createdAt: string;
  width: number;
  height: number;
  noise: ShareRequest["noise"];
  metrics: NonNullable<ShareRequest["metrics"]>;
}

/** 16 random bytes, base64url: unguessable, and a valid storage key segment. */
export function newShareId(): string {
  return randomBytes(16).toString("base64url");
}

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function isShareId(id: string): boolean {
  return ID_PATTERN.test(id);
}

const shareKey = (id: string, file: string) => `shares/${id}/${file}`;

/** The PNG in a data URL, decoded and re-encoded; a 422 for anything that is not a PNG within the size limit. */
async function cleanPng(dataUrl: string, name: ShareImage): Promise<{ png: Buffer; width: number; height: number }> {
  const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
  try {
    const image = sharp(bytes, { limitInputPixels: MAX_SHARE_SIDE * MAX_SHARE_SIDE });
    const meta = await image.metadata();
    if (meta.format !== "png") throw new Error("not a PNG");
    if (!meta.width || !meta.height || meta.width > MAX_SHARE_SIDE || meta.height > MAX_SHARE_SIDE) throw new Error("too large");
    const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toBuffer();
    return { png, width: info.width, height: info.height };
  } catch {
    throw new HttpError(422, `${name}: not a readable PNG of at most ${MAX_SHARE_SIDE}x${MAX_SHARE_SIDE} pixels`);
  }
}

export async function createShare(request: ShareRequest, storage: Storage = getStorage()): Promise<ShareRecord> {
  const [noisy, denoised] = await Promise.all([cleanPng(request.noisy, "noisy"), cleanPng(request.denoised, "denoised")]);
  if (noisy.width !== denoised.width || noisy.height !== denoised.height) {
    throw new HttpError(422, `the images differ in size (${noisy.width}x${noisy.height} and ${denoised.width}x${denoised.height})`);
  }
  const id = newShareId();
  const record: ShareRecord = {
    id,
    createdAt: new Date().toISOString(),
    width: denoised.width,
    height: denoised.height,
    noise: request.noise,
    metrics: request.metrics ?? {},
  };
  await storage.put(shareKey(id, "noisy.png"), noisy.png, { contentType: "image/png" });
  await storage.put(shareKey(id, "denoised.png"), denoised.png, { contentType: "image/png" });
  await storage.put(shareKey(id, "share.json"), new TextEncoder().encode(JSON.stringify(record)), { contentType: "application/json" });
  return record;
}

/** The share's record, or null for an id that is malformed, unknown or unfinished. */
export async function readShare(id: string, storage: Storage = getStorage()): Promise<ShareRecord | null> {
  if (!isShareId(id)) return null;
  const object = await storage.get(shareKey(id, "share.json"));
  return object ? (JSON.parse(new TextDecoder().decode(object.bytes)) as ShareRecord) : null;
}

/** One of the share's images (PNG bytes), or null. */
export async function readShareImage(id: string, image: ShareImage, storage: Storage = getStorage()): Promise<Uint8Array | null> {
  if (!isShareId(id) || !(await readShare(id, storage))) return null;
  return (await storage.get(shareKey(id, `${image}.png`)))?.bytes ?? null;
}

export const shareImageUrl = (id: string, image: ShareImage) => `/api/share/${id}/${image}.png`;
