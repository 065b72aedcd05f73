import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createShare,
  deleteShare,
  readShare,
  readShareImage,
  SHARE_CACHE_SECONDS,
  SHARE_LIMITS,
  shareCacheControl,
  type ShareLimits,
  sweepShares,
} from "@/lib/server/share";
import type { Storage } from "@/lib/server/storage";
import { BlobStorage } from "@/lib/server/storage/blob";
import { LocalStorage } from "@/lib/server/storage/local";
import { type FakeBlobServer, startFakeBlobServer } from "../../helpers/fake-blob-server";

/**
 * The limits on shares (lib/server/share.ts) on both storage backends: the local disk, and Vercel Blob through
 * @vercel/blob pointed at a fake of its API on loopback. Expiry, quotas and deletion, with the clock passed in
 * where the share code reads it; the storage's own upload times are real.
 */

let fake: FakeBlobServer;
let scratch: string;
const savedApiUrl = process.env.VERCEL_BLOB_API_URL;

beforeAll(async () => {
  fake = await startFakeBlobServer();
  process.env.VERCEL_BLOB_API_URL = fake.apiUrl;
  scratch = await mkdtemp(path.join(tmpdir(), "share-limits-"));
});

afterAll(async () => {
  await fake.close();
  await rm(scratch, { recursive: true, force: true });
  if (savedApiUrl === undefined) delete process.env.VERCEL_BLOB_API_URL;
  else process.env.VERCEL_BLOB_API_URL = savedApiUrl;
});

const backends: { name: string; make: () => Promise<Storage> }[] = [
  { name: "local filesystem", make: async () => new LocalStorage(await mkdtemp(path.join(scratch, "root-"))) },
  { name: "Vercel Blob", make: async () => new BlobStorage({ token: fake.token, timeoutMs: 5_000 }) },
];

async function pngUrl(side: number, seed: number): Promise<string> {
  const raw = Buffer.from(Array.from({ length: side * side * 3 }, (_, i) => (i * 37 + seed * 11) % 256));
  return `data:image/png;base64,${(await sharp(raw, { raw: { width: side, height: side, channels: 3 } }).png().toBuffer()).toString("base64")}`;
}

let request: Parameters<typeof createShare>[0];
beforeAll(async () => {
  request = { noisy: await pngUrl(16, 1), denoised: await pngUrl(16, 2), noise: { kind: "gaussian", level: 0.1 } };
});

/** Upload times order the shares; the local disk's clock ticks in milliseconds, so the test leaves a few between. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 15));
const DAY_MS = 86_400_000;

describe.each(backends)("share limits: $name", ({ make }) => {
  let storage: Storage;
  const limits = (overrides: Partial<ShareLimits>): ShareLimits => ({ ...SHARE_LIMITS, ...overrides });
  const ids = async () => [...new Set((await storage.list("shares/")).map((entry) => entry.key.split("/")[1]))].sort();
  const totalBytes = async () => (await storage.list("shares/")).reduce((sum, entry) => sum + entry.size, 0);

  beforeEach(async () => {
    fake.reset();
    storage = await make();
  });

  it("stores the delete token's SHA-256 only, and deletes with that token alone", async () => {
    const { record, deleteToken } = await createShare(request, { storage });
    expect(deleteToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = new TextDecoder().decode((await storage.get(`shares/${record.id}/share.json`))!.bytes);
    expect(stored).not.toContain(deleteToken);
    expect(JSON.parse(stored).deleteTokenSha256).toBe(createHash("sha256").update(deleteToken).digest("hex"));
    expect(await readShare(record.id, { storage })).not.toHaveProperty("deleteTokenSha256");

    const other = await createShare(request, { storage });
    const oneCharOff = deleteToken.slice(0, -1) + (deleteToken.endsWith("A") ? "B" : "A");
    for (const wrong of [null, "", "not a token", other.deleteToken, oneCharOff]) {
      expect(await deleteShare(record.id, wrong, { storage }), String(wrong)).toBe("forbidden");
    }
    expect(await deleteShare("A".repeat(22), deleteToken, { storage })).toBe("not-found");
    expect(await deleteShare("../../etc", deleteToken, { storage })).toBe("not-found");
    expect(await ids()).toEqual([record.id, other.record.id].sort());

    expect(await deleteShare(record.id, deleteToken, { storage })).toBe("deleted");
    expect(await readShare(record.id, { storage })).toBeNull();
    expect(await readShareImage(record.id, "noisy", { storage })).toBeNull();
    expect(await ids()).toEqual([other.record.id]);
    expect(await deleteShare(record.id, deleteToken, { storage })).toBe("not-found");
  });

  it("makes room for a new share by removing the oldest, so the bytes stay within the quota", async () => {
    const first = await createShare(request, { storage });
    const oneShare = await totalBytes();
    // Room for three shares and a half.
    const quota = limits({ quotaBytes: Math.floor(oneShare * 3.5) });
    const created = [first.record.id];
    for (let i = 0; i < 5; i++) {
      await pause();
      created.push((await createShare(request, { storage, limits: quota })).record.id);
      expect(await totalBytes()).toBeLessThanOrEqual(quota.quotaBytes);
    }
    expect(await ids()).toEqual(created.slice(-3).sort());
    for (const gone of created.slice(0, 3)) expect(await readShare(gone, { storage })).toBeNull();
    for (const kept of created.slice(-3)) expect(await readShare(kept, { storage, limits: quota })).not.toBeNull();
  });

  it("keeps at most maxShares, the newest", async () => {
    const few = limits({ maxShares: 2 });
    const created: string[] = [];
    for (let i = 0; i < 4; i++) {
      created.push((await createShare(request, { storage, limits: few })).record.id);
      await pause();
    }
    expect(await ids()).toEqual(created.slice(-2).sort());
  });

  it("refuses a share bigger than the whole quota, storing nothing", async () => {
    await expect(createShare(request, { storage, limits: limits({ quotaBytes: 100 }) })).rejects.toMatchObject({ status: 413 });
    expect(await ids()).toEqual([]);
  });

  it("expires a share at its age: unreadable at once, removed by the next sweep", async () => {
    const created = Date.now();
    const { record, deleteToken } = await createShare(request, { storage, now: () => created });
    const maxAge = SHARE_LIMITS.maxAgeSeconds * 1000;
    expect(record.expiresAt).toBe(new Date(created + maxAge).toISOString());
    const at = (ms: number) => ({ storage, now: () => ms });

    expect(await readShare(record.id, at(created + maxAge - 1000))).not.toBeNull();
    expect(await readShare(record.id, at(created + maxAge))).toBeNull();
    expect(await readShareImage(record.id, "denoised", at(created + maxAge))).toBeNull();
    expect(await deleteShare(record.id, deleteToken, at(created + maxAge))).toBe("not-found");

    expect(await sweepShares({}, at(Date.now() + maxAge - DAY_MS))).toMatchObject({ expired: 0, kept: 1 });
    expect(await sweepShares({}, at(Date.now() + maxAge + 1000))).toMatchObject({ expired: 1, kept: 0, keptBytes: 0 });
    expect(await ids()).toEqual([]);
  });

  it("clears the debris of a write that failed, but not a share being written", async () => {
    const live = (await createShare(request, { storage })).record.id;
    await storage.put("shares/BBBBBBBBBBBBBBBBBBBBBB/noisy.png", new Uint8Array(10), { contentType: "image/png" });
    expect(await sweepShares({}, { storage, now: () => Date.now() + 60_000 })).toMatchObject({ abandoned: 0, kept: 2 });
    expect(await readShare("BBBBBBBBBBBBBBBBBBBBBB", { storage })).toBeNull();
    expect(await sweepShares({}, { storage, now: () => Date.now() + 11 * 60_000 })).toMatchObject({ abandoned: 1, kept: 1 });
    expect(await ids()).toEqual([live]);
  });
});

describe("share limits on Vercel Blob", () => {
  it("lists the store once per new share, and deletes only what it evicts", async () => {
    fake.reset();
    const storage = new BlobStorage({ token: fake.token, timeoutMs: 5_000 });
    const few = { ...SHARE_LIMITS, maxShares: 1 };
    await createShare(request, { storage, limits: few });
    await pause();
    fake.requests.length = 0;
    await createShare(request, { storage, limits: few });
    const listings = fake.requests.filter((r) => r.method === "GET" && r.url.includes("prefix="));
    const deletes = fake.requests.filter((r) => r.method === "POST" && r.url.endsWith("/delete"));
    expect(listings).toHaveLength(1);
    // share.json first, then the two images.
    expect(deletes).toHaveLength(3);
    expect(fake.pathnames()).toHaveLength(3);
  });
});

describe("cache lifetime of a served share", () => {
  it("is a few minutes at most, and never past the share's expiry", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    const expiringIn = (seconds: number) => ({ expiresAt: new Date(now + seconds * 1000).toISOString() }) as Parameters<typeof shareCacheControl>[0];
    expect(shareCacheControl(expiringIn(30 * 86_400), now)).toBe(`public, max-age=${SHARE_CACHE_SECONDS}`);
    expect(shareCacheControl(expiringIn(42), now)).toBe("public, max-age=42");
    expect(shareCacheControl(expiringIn(-5), now)).toBe("public, max-age=0");
    expect(shareCacheControl(expiringIn(30 * 86_400), now)).not.toMatch(/immutable/);
  });
});
