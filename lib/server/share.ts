import "server-only";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import sharp from "sharp";
import { z } from "zod";
import { NOISE_KINDS } from "../noise";
import { isDeleteToken, isShareId, SHARE_IMAGES, type ShareImage } from "../share-urls";
import { HttpError, jsonError } from "./http";
import type { RateLimitOptions } from "./rate-limit";
import { getStorage, type Storage, type StoredEntry } from "./storage";

/**
 * "Share this result": a visitor who chooses to share a denoised face gets a public link to it, and a private link
 * to delete it. Only what the request carries is stored (the noisy and the denoised image, the noise setting and
 * the scores); the original photo never leaves the page for this.
 *
 * A share is three objects under `shares/<id>/`: the two images, re-encoded by sharp (which proves they are PNGs
 * and drops any metadata they carried), and `share.json`, written last, so that a share without it is unfinished
 * and reads as missing. The record keeps the SHA-256 of the delete token, never the token.
 *
 * Shares are bounded on every storage backend (the numbers: SHARE_LIMITS and SHARE_RATE_LIMIT below, stated in
 * README and docs/server.md): each expires after a fixed age, and before a new one is written, the expired ones are
 * removed and then the oldest, until the new one fits the quota of bytes and of shares (sweepShares).
 */

export interface ShareLimits {
  /** The largest side of a shared image, in pixels: the page shares 64x64 faces; this leaves room. */
  maxSide: number;
  /** The bytes all shares may take in storage together. */
  quotaBytes: number;
  /** The most shares kept at once: this also bounds the listing that every new share makes. */
  maxShares: number;
  /** How long a share lives, in seconds. */
  maxAgeSeconds: number;
}

export const SHARE_LIMITS: ShareLimits = {
  maxSide: 256,
  quotaBytes: 100_000_000,
  maxShares: 1000,
  maxAgeSeconds: 30 * 24 * 3600,
};

/** Shares a client may create (every attempt counts, accepted or not): 10 per 10 minutes. */
export const SHARE_RATE_LIMIT: RateLimitOptions = { points: 10, windowSeconds: 600 };

/** The longest a browser or CDN may keep a served share, so a deleted one is gone from caches within minutes. */
export const SHARE_CACHE_SECONDS = 300;

/** A share with images but no record this long after its first object was written is debris of a failed write. */
const UNFINISHED_GRACE_MS = 10 * 60 * 1000;

/** What a share's functions need besides their arguments; tests pass their own. */
export interface ShareContext {
  storage?: Storage;
  limits?: ShareLimits;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

function resolve(context: ShareContext): Required<ShareContext> {
  return { storage: context.storage ?? getStorage(), limits: context.limits ?? SHARE_LIMITS, now: context.now ?? Date.now };
}

const score = z.number().finite().min(-1).max(200).nullable();
/** A 256x256 PNG of noise is about 200 KB, 270 KB in base64; this refuses anything far bigger before decoding. */
const MAX_DATA_URL_CHARS = 400_000;
const dataUrlPng = z
  .string()
  .max(MAX_DATA_URL_CHARS)
  .regex(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/, "must be a data:image/png;base64 URL");

export const shareRequestSchema = z.object({
  noisy: dataUrlPng,
  denoised: dataUrlPng,
  noise: z.object({ kind: z.enum(NOISE_KINDS), level: z.number().finite().min(0).max(1) }),
  metrics: z.object({ psnrNoisy: score, psnrDenoised: score, ssimNoisy: score, ssimDenoised: score }).partial().optional(),
});
export type ShareRequest = z.infer<typeof shareRequestSchema>;

/** The request body's bound: two data URLs at their limit, and the rest. */
export const SHARE_MAX_BODY_BYTES = 2 * MAX_DATA_URL_CHARS + 10_000;

/** What anyone with the link may see. */
export interface ShareRecord {
  id: string;
  createdAt: string;
  /** When the share expires: createdAt plus the expiry age (the quota may remove it sooner). */
  expiresAt: string;
  width: number;
  height: number;
  noise: ShareRequest["noise"];
  metrics: NonNullable<ShareRequest["metrics"]>;
}

/** What `share.json` holds: the public record (less expiresAt, which follows the limits) and the token's hash. */
type StoredRecord = Omit<ShareRecord, "expiresAt"> & { deleteTokenSha256?: string };

export interface CreatedShare {
  record: ShareRecord;
  /** The secret that deletes the share: handed to the sharer once, stored only as its SHA-256. */
  deleteToken: string;
}

/** 16 random bytes, base64url: unguessable, and a valid storage key segment. */
export function newShareId(): string {
  return randomBytes(16).toString("base64url");
}

const shareKey = (id: string, file: string) => `shares/${id}/${file}`;
const RECORD_FILE = "share.json";
const sha256 = (text: string) => createHash("sha256").update(text).digest();

/** The PNG in a data URL, decoded and re-encoded; a 422 for anything that is not a PNG within the size limit. */
async function cleanPng(dataUrl: string, name: ShareImage, maxSide: number): Promise<{ png: Buffer; width: number; height: number }> {
  const bytes = Buffer.from(dataUrl.slice(dataUrl.indexOf(",") + 1), "base64");
  try {
    const image = sharp(bytes, { limitInputPixels: maxSide * maxSide });
    const meta = await image.metadata();
    if (meta.format !== "png") throw new Error("not a PNG");
    if (!meta.width || !meta.height || meta.width > maxSide || meta.height > maxSide) throw new Error("too large");
    const { data, info } = await image.removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toBuffer();
    return { png, width: info.width, height: info.height };
  } catch {
    throw new HttpError(422, `${name}: not a readable PNG of at most ${maxSide}x${maxSide} pixels`);
  }
}

/** The fields anyone may see, named one by one so that nothing else in the stored record (the hash) goes out. */
function publicRecord({ id, createdAt, width, height, noise, metrics }: StoredRecord, limits: ShareLimits): ShareRecord {
  const expiresAt = new Date(Date.parse(createdAt) + limits.maxAgeSeconds * 1000).toISOString();
  return { id, createdAt, expiresAt, width, height, noise, metrics };
}

/**
 * Stores a share after making room for it (sweepShares). Throws HttpError 422 for images that are not PNGs within
 * the limits, and StorageError when the storage fails.
 */
export async function createShare(request: ShareRequest, context: ShareContext = {}): Promise<CreatedShare> {
  const { storage, limits, now } = resolve(context);
  const [noisy, denoised] = await Promise.all([cleanPng(request.noisy, "noisy", limits.maxSide), cleanPng(request.denoised, "denoised", limits.maxSide)]);
  if (noisy.width !== denoised.width || noisy.height !== denoised.height) {
    throw new HttpError(422, `the images differ in size (${noisy.width}x${noisy.height} and ${denoised.width}x${denoised.height})`);
  }
  const id = newShareId();
  const deleteToken = randomBytes(32).toString("base64url");
  const stored: StoredRecord = {
    id,
    createdAt: new Date(now()).toISOString(),
    width: denoised.width,
    height: denoised.height,
    noise: request.noise,
    metrics: request.metrics ?? {},
    deleteTokenSha256: sha256(deleteToken).toString("hex"),
  };
  const json = new TextEncoder().encode(JSON.stringify(stored));
  const bytes = noisy.png.length + denoised.png.length + json.length;
  if (bytes > limits.quotaBytes) throw new HttpError(413, `This share takes ${bytes} bytes, more than the ${limits.quotaBytes} all shares may take.`);
  await sweepShares({ incomingBytes: bytes }, { storage, limits, now });
  await storage.put(shareKey(id, "noisy.png"), noisy.png, { contentType: "image/png" });
  await storage.put(shareKey(id, "denoised.png"), denoised.png, { contentType: "image/png" });
  await storage.put(shareKey(id, RECORD_FILE), json, { contentType: "application/json" });
  return { record: publicRecord(stored, limits), deleteToken };
}

/** The stored record of a live share; null for an id that is malformed, unknown, unfinished or expired. */
async function readStoredRecord(id: string, { storage, limits, now }: Required<ShareContext>): Promise<StoredRecord | null> {
  if (!isShareId(id)) return null;
  const object = await storage.get(shareKey(id, RECORD_FILE));
  if (!object) return null;
  const record = JSON.parse(new TextDecoder().decode(object.bytes)) as StoredRecord;
  const age = now() - Date.parse(record.createdAt);
  return age < limits.maxAgeSeconds * 1000 ? record : null;
}

/** The share's public record, or null for an id that is malformed, unknown, unfinished or expired. */
export async function readShare(id: string, context: ShareContext = {}): Promise<ShareRecord | null> {
  const resolved = resolve(context);
  const record = await readStoredRecord(id, resolved);
  return record && publicRecord(record, resolved.limits);
}

/** One of the share's images (PNG bytes) and its record, or null. */
export async function readShareImage(id: string, image: ShareImage, context: ShareContext = {}): Promise<{ png: Uint8Array; record: ShareRecord } | null> {
  const record = await readShare(id, context);
  if (!record) return null;
  const object = await resolve(context).storage.get(shareKey(id, `${image}.png`));
  return object && { png: object.bytes, record };
}

/** What the routes answer for a share that is not there. */
export const NO_SUCH_SHARE = "There is no share with this id (it may have expired or been deleted).";

export type DeleteOutcome = "deleted" | "not-found" | "forbidden";

/** Deletes the share when `token` is its delete token. Shares from before delete tokens cannot be deleted this way. */
export async function deleteShare(id: string, token: string | null, context: ShareContext = {}): Promise<DeleteOutcome> {
  const resolved = resolve(context);
  const record = await readStoredRecord(id, resolved);
  if (!record) return "not-found";
  if (!token || !isDeleteToken(token) || !record.deleteTokenSha256) return "forbidden";
  const expected = Buffer.from(record.deleteTokenSha256, "hex");
  const given = sha256(token);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "forbidden";
  await removeShare(resolved.storage, id, [...SHARE_IMAGES.map((name) => `${name}.png`)]);
  return "deleted";
}

/** Removes a share's record first, so it reads as gone at once, then its other files. */
async function removeShare(storage: Storage, id: string, otherFiles: string[]): Promise<void> {
  await storage.delete(shareKey(id, RECORD_FILE));
  await Promise.all(otherFiles.filter((file) => file !== RECORD_FILE).map((file) => storage.delete(shareKey(id, file))));
}

/** A share as a listing shows it. */
interface ListedShare {
  id: string;
  files: string[];
  bytes: number;
  /** When its record was written, or null for an unfinished share. */
  createdAt: number | null;
  /** When its first object was written. */
  firstWrite: number;
}

async function listShares(storage: Storage): Promise<ListedShare[]> {
  const shares = new Map<string, ListedShare>();
  for (const entry of await storage.list("shares/")) {
    const [, id, file, ...rest] = entry.key.split("/");
    if (!file || rest.length > 0) continue;
    const share = shares.get(id) ?? { id, files: [], bytes: 0, createdAt: null, firstWrite: Infinity };
    share.files.push(file);
    share.bytes += entry.size;
    share.firstWrite = Math.min(share.firstWrite, time(entry));
    if (file === RECORD_FILE) share.createdAt = time(entry);
    shares.set(id, share);
  }
  return [...shares.values()];
}

const time = (entry: StoredEntry) => entry.uploadedAt.getTime();

export interface SweepResult {
  /** Shares removed for their age. */
  expired: number;
  /** Shares removed, oldest first, to make room. */
  evicted: number;
  /** Unfinished shares removed (debris of writes that failed). */
  abandoned: number;
  /** What stays: shares and bytes (without the incoming share). */
  kept: number;
  keptBytes: number;
}

/**
 * Removes expired shares and the debris of failed writes, then the oldest shares until one of `incomingBytes`
 * more fits both quotas. One listing of `shares/` and one delete per object removed. Shares being written right
 * now (no record yet, within a grace period) count against the quota but are never removed; so do concurrent
 * writers' shares, which is why the quota holds to within the shares being written at the same moment.
 */
export async function sweepShares({ incomingBytes = 0 }: { incomingBytes?: number } = {}, context: ShareContext = {}): Promise<SweepResult> {
  const { storage, limits, now } = resolve(context);
  const at = now();
  const result: SweepResult = { expired: 0, evicted: 0, abandoned: 0, kept: 0, keptBytes: 0 };
  const live: ListedShare[] = [];
  const writing: ListedShare[] = [];
  for (const share of await listShares(storage)) {
    if (share.createdAt === null) {
      if (at - share.firstWrite < UNFINISHED_GRACE_MS) writing.push(share);
      else {
        await removeShare(storage, share.id, share.files);
        result.abandoned += 1;
      }
    } else if (at - share.createdAt >= limits.maxAgeSeconds * 1000) {
      await removeShare(storage, share.id, share.files);
      result.expired += 1;
    } else live.push(share);
  }
  live.sort((a, b) => (a.createdAt as number) - (b.createdAt as number));
  const incoming = incomingBytes > 0 ? 1 : 0;
  let count = live.length + writing.length;
  let bytes = [...live, ...writing].reduce((sum, share) => sum + share.bytes, 0);
  for (const oldest of live) {
    if (bytes + incomingBytes <= limits.quotaBytes && count + incoming <= limits.maxShares) break;
    await removeShare(storage, oldest.id, oldest.files);
    result.evicted += 1;
    count -= 1;
    bytes -= oldest.bytes;
  }
  return { ...result, kept: count, keptBytes: bytes };
}

/**
 * Cache-Control for a served share: public, but for a few minutes at most and never past its expiry, so that a
 * deleted or expired share leaves caches soon after.
 */
export function shareCacheControl(record: ShareRecord, now = Date.now()): string {
  const left = Math.floor((Date.parse(record.expiresAt) - now) / 1000);
  return `public, max-age=${Math.max(0, Math.min(SHARE_CACHE_SECONDS, left))}`;
}

/**
 * The answer when the share storage fails: 503, and one line in the log. The storage's own message names the
 * backend and its internals, so it goes to the log, not to the visitor.
 */
export function shareStorageUnavailable(route: string, error: unknown): Response {
  console.error(`${route}: the share storage failed:`, error instanceof Error ? error.message : error);
  return jsonError(503, "The share storage is unavailable just now; try again later.");
}
