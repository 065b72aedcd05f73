import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseManifest } from "@/lib/manifest";
import { GET as health } from "@/app/api/health/route";
import { POST as share } from "@/app/api/share/route";
import { DELETE as deleteShareRoute, GET as shareRecord } from "@/app/api/share/[id]/route";
import { GET as shareImage } from "@/app/api/share/[id]/[image]/route";
import { SERVED_MODELS } from "@/lib/catalogue";
import { SHARE_CACHE_SECONDS, SHARE_RATE_LIMIT } from "@/lib/server/share";

/**
 * GET /api/health on the shipped models, and the share routes on a throwaway data folder (the local storage; the
 * Blob storage passes the same contract in storage-contract.test.ts).
 */

let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), "share-"));
  process.env.DATA_DIR = dataDir;
  process.env.MODELS_DIR = path.resolve("models");
  // As `npm start` runs the routes: the client's address in x-real-ip, set from the socket by scripts/serve.mjs.
  process.env.CLIENT_IP_HEADER = "x-real-ip";
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  delete process.env.DATA_DIR;
  delete process.env.MODELS_DIR;
  delete process.env.CLIENT_IP_HEADER;
});

describe("GET /api/health", () => {
  it("is ready once the models load, and names each model file's sha256 from the manifest", async () => {
    const response = await health();
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body.ready).toBe(true);
    expect(["wasm", "cpu"]).toContain(body.backend);
    expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(body.queue).toEqual({ waiting: 0, running: 0 });
    // Anyone can read it: no absolute path (the models folder was the whole path here before).
    expect(body.storage).toBe("local folder models (read-only)");
    expect(JSON.stringify(body)).not.toContain(process.cwd());
    const manifest = parseManifest(JSON.parse(readFileSync("models/manifest.json", "utf8")));
    expect(Object.keys(body.models)).toEqual(SERVED_MODELS.map((m) => m.key));
    for (const { key } of SERVED_MODELS) {
      expect(body.models[key]).toEqual(Object.fromEntries(manifest.models[key].files.map((f) => [f.path, f.sha256])));
    }
  });
});

async function png(width: number, height: number, seed: number): Promise<{ url: string; raw: Buffer }> {
  const raw = Buffer.from(Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + seed * 11) % 256));
  const bytes = await sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
  return { url: `data:image/png;base64,${bytes.toString("base64")}`, raw };
}

/** Each test's requests come from an address of their own (TEST-NET-2), so that the rate limit is each test's. */
let lastAddress = 0;
const newAddress = () => `198.51.100.${++lastAddress}`;
let address = newAddress();

const post = (body: unknown, type = "application/json", from = address) =>
  share(
    new Request("http://localhost/api/share", {
      method: "POST",
      headers: { "Content-Type": type, "X-Real-IP": from },
      body: typeof body === "string" ? body : JSON.stringify(body),
    }),
  );
const params = <T>(value: T) => ({ params: Promise.resolve(value) });
const remove = (id: string, authorization?: string) =>
  deleteShareRoute(new Request(`http://localhost/api/share/${id}`, { method: "DELETE", headers: authorization ? { Authorization: authorization } : {} }), params({ id }));

describe("share routes", () => {
  beforeEach(() => void (address = newAddress()));

  it("stores only the two images and the record, and serves them back exactly, cached for minutes only", async () => {
    const [noisy, denoised] = [await png(64, 64, 1), await png(64, 64, 2)];
    const metrics = { psnrNoisy: 20.1, psnrDenoised: 27.5, ssimNoisy: 0.5, ssimDenoised: null };
    const response = await post({ noisy: noisy.url, denoised: denoised.url, noise: { kind: "gaussian", level: 0.1 }, metrics });
    expect(response.status).toBe(201);
    const { id, url, images, deleteToken, deleteUrl, expiresAt } = await response.json();
    expect(url).toBe(`/share/${id}`);
    expect(deleteUrl).toBe(`/share/${id}#delete=${deleteToken}`);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(images).toEqual({ noisy: `/api/share/${id}/noisy.png`, denoised: `/api/share/${id}/denoised.png` });
    expect(readdirSync(path.join(dataDir, "shares", id)).filter((f) => !f.startsWith(".")).sort()).toEqual(["denoised.png", "noisy.png", "share.json"]);

    const recordResponse = await shareRecord(new Request(`http://localhost/api/share/${id}`), params({ id }));
    expect(recordResponse.headers.get("cache-control")).toBe(`public, max-age=${SHARE_CACHE_SECONDS}`);
    const record = await recordResponse.json();
    expect(record).toMatchObject({ id, expiresAt, width: 64, height: 64, noise: { kind: "gaussian", level: 0.1 }, metrics });
    expect(JSON.stringify(record)).not.toMatch(/deleteToken/);
    for (const [name, image] of [["noisy", noisy], ["denoised", denoised]] as const) {
      const answer = await shareImage(new Request(`http://localhost${images[name]}`), params({ id, image: `${name}.png` }));
      expect(answer.headers.get("content-type")).toBe("image/png");
      expect(answer.headers.get("cache-control")).toBe(`public, max-age=${SHARE_CACHE_SECONDS}`);
      const { data } = await sharp(Buffer.from(await answer.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
      expect(data.equals(image.raw)).toBe(true);
    }
  });

  it("answers 404 for unknown, malformed and traversing ids, and unknown image names", async () => {
    const unknown = "A".repeat(22);
    for (const id of [unknown, "short", "../../models", "%2e%2e"]) {
      expect((await shareRecord(new Request("http://localhost/"), params({ id }))).status).toBe(404);
      expect((await shareImage(new Request("http://localhost/"), params({ id, image: "noisy.png" }))).status).toBe(404);
    }
    expect((await shareImage(new Request("http://localhost/"), params({ id: unknown, image: "share.json" }))).status).toBe(404);
  });

  it("refuses bad requests with the right status and a readable error, storing nothing", async () => {
    const good = (await png(8, 8, 3)).url;
    const jpeg = `data:image/png;base64,${(await sharp(Buffer.alloc(8 * 8 * 3), { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toBuffer()).toString("base64")}`;
    const noise = { kind: "masking", level: 0.5 };
    const cases: [unknown, string | undefined, number, RegExp][] = [
      [{ noisy: good, denoised: good, noise }, "text/plain", 415, /JSON/],
      ["{not json", undefined, 400, /not valid JSON/],
      [{ noisy: good, noise }, undefined, 400, /denoised/],
      [{ noisy: good, denoised: "data:image/gif;base64,AAAA", noise }, undefined, 400, /data:image\/png/],
      [{ noisy: good, denoised: good, noise: { kind: "gaussian", level: 7 } }, undefined, 400, /level/],
      [{ noisy: good, denoised: jpeg, noise }, undefined, 422, /denoised: not a readable PNG/],
      [{ noisy: good, denoised: (await png(16, 8, 1)).url, noise }, undefined, 422, /differ in size/],
      [{ noisy: good, denoised: (await png(300, 4, 1)).url, noise }, undefined, 422, /at most 256x256/],
    ];
    const before = readdirSync(path.join(dataDir, "shares")).length;
    for (const [body, type, status, message] of cases) {
      const response = await post(body, type);
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect((await response.json()).error).toMatch(message);
    }
    expect(readdirSync(path.join(dataDir, "shares")).length).toBe(before);
  });
});

describe("deleting a share", () => {
  it("takes the delete token that only the sharer got, and answers JSON 403 or 404 otherwise", async () => {
    address = newAddress();
    const image = (await png(8, 8, 4)).url;
    const created = await (await post({ noisy: image, denoised: image, noise: { kind: "none", level: 0 } })).json();
    const other = await (await post({ noisy: image, denoised: image, noise: { kind: "none", level: 0 } })).json();
    for (const authorization of [undefined, "Bearer", `Basic ${created.deleteToken}`, `Bearer ${other.deleteToken}`, "Bearer x".padEnd(60, "x")]) {
      const response = await remove(created.id, authorization);
      expect(response.status, String(authorization)).toBe(403);
      expect((await response.json()).error).toMatch(/delete token/);
    }
    expect(readdirSync(path.join(dataDir, "shares"))).toContain(created.id);
    for (const id of ["A".repeat(22), "short", "../../models"]) {
      const response = await remove(id, `Bearer ${created.deleteToken}`);
      expect(response.status).toBe(404);
      expect((await response.json()).error).toMatch(/no share/);
    }

    const deleted = await remove(created.id, `Bearer ${created.deleteToken}`);
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: created.id });
    expect(readdirSync(path.join(dataDir, "shares"))).not.toContain(created.id);
    expect((await shareRecord(new Request("http://localhost/"), params({ id: created.id }))).status).toBe(404);
    expect((await shareImage(new Request("http://localhost/"), params({ id: created.id, image: "noisy.png" }))).status).toBe(404);
    expect((await remove(created.id, `Bearer ${created.deleteToken}`)).status).toBe(404);
    // The other share is untouched.
    expect((await shareRecord(new Request("http://localhost/"), params({ id: other.id }))).status).toBe(200);
  });
});

describe("the share rate limit", () => {
  const { points, windowSeconds } = SHARE_RATE_LIMIT;

  it(`answers 429 with Retry-After after ${points} attempts from one address, while another address still shares`, async () => {
    const flooder = newAddress();
    const image = (await png(8, 8, 5)).url;
    const body = { noisy: image, denoised: image, noise: { kind: "none", level: 0 } };
    // Refused attempts count too: a flood of bad requests costs decoding as well.
    expect((await post({ ...body, noisy: "data:image/png;base64,AAAA" }, undefined, flooder)).status).toBe(422);
    for (let i = 1; i < points; i++) expect((await post(body, undefined, flooder)).status).toBe(201);
    const refused = await post(body, undefined, flooder);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("content-type")).toMatch(/application\/json/);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    expect((await refused.json()).error).toMatch(new RegExp(`at most ${points} every ${windowSeconds / 60} minutes.*Try again in ${retryAfter} s`));

    expect((await post(body, undefined, newAddress())).status).toBe(201);
  });

  it("counts every visitor as one client where no header is trusted, so a forged address buys nothing", async () => {
    delete process.env.CLIENT_IP_HEADER;
    try {
      const image = (await png(8, 8, 6)).url;
      const body = { noisy: image, denoised: image, noise: { kind: "none", level: 0 } };
      const statuses: number[] = [];
      for (let i = 0; i <= points; i++) statuses.push((await post(body, undefined, newAddress())).status);
      expect(statuses).toEqual([...Array(points).fill(201), 429]);
    } finally {
      process.env.CLIENT_IP_HEADER = "x-real-ip";
    }
  });
});
