import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { DEFAULT_DAE_ARCHITECTURE, MODELS } from "@/lib/catalogue";
import { buildDae } from "@/training/models";
import { exportLayersModel, updateManifest } from "@/training/export";
import { POST } from "@/app/api/denoise/route";
import { GET } from "@/app/api/models/[...path]/route";

/**
 * The route handlers, called directly with Request objects, on a throwaway models folder holding an untrained DAE
 * (so these tests do not depend on what training has exported into models/).
 */

const DAE_FOLDER = MODELS.dae.entry.split("/")[0];
let dir: string;
let modelJsonSha: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "routes-"));
  process.env.MODELS_DIR = dir;
  await tf.setBackend("cpu");
  const entry = await exportLayersModel(buildDae({ ...DEFAULT_DAE_ARCHITECTURE, filters: 8 }), dir, MODELS.dae, {
    config: { ...DEFAULT_DAE_ARCHITECTURE, filters: 8 },
    backend: "cpu",
    seconds: 0,
    examplesSeen: 1,
    epochs: 0,
    trainedAt: new Date(0).toISOString(),
    metrics: { psnr: 0 },
  });
  await updateManifest(dir, { [MODELS.dae.key]: entry });
  modelJsonSha = entry.files.find((f) => f.path === MODELS.dae.entry)!.sha256;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

const face = readFileSync("tests/fixtures/images/a-face.png");
const url = (query = "") => `http://localhost/api/denoise${query}`;

function multipart(file: Uint8Array | string, fields: Record<string, string> = {}, type = "image/png"): Request {
  const form = new FormData();
  form.set("image", new Blob([typeof file === "string" ? file : new Uint8Array(file)], { type }), "upload");
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return new Request(url(), { method: "POST", body: form });
}

describe("POST /api/denoise", () => {
  it("denoises a multipart upload to a 64x64 PNG", async () => {
    const response = await POST(multipart(face, { noise: "gaussian", level: "0.1", seed: "3" }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-model-sha256")).toBe(modelJsonSha);
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([64, 64, "png"]);
  });

  it("takes a raw JPEG body, undoes EXIF rotation, and answers JSON with metrics on request", async () => {
    const body = readFileSync("tests/fixtures/images/d-rotated.jpg");
    const response = await POST(
      new Request(url("?noise=gaussian&level=0.1&format=json"), { method: "POST", body: new Uint8Array(body), headers: { "content-type": "image/jpeg" } }),
    );
    expect(response.status).toBe(200);
    const json = await response.json();
    expect(json).toMatchObject({ width: 64, height: 64, noise: { kind: "gaussian", level: 0.1, seed: 1 } });
    expect(json.metrics.psnr.noisy).toBeGreaterThan(15);
    expect(json.metrics.psnr.noisy).toBeLessThan(25);
    expect(json.metrics.ssim.denoised).toBeGreaterThan(0);
    for (const key of ["original", "noisy", "denoised"]) expect(json[key]).toMatch(/^data:image\/png;base64,/);
    // The rotated fixture is face 3 turned back upright: compare it with the upright original.
    const original = await sharp(Buffer.from(json.original.split(",")[1], "base64")).raw().toBuffer();
    const upright = await sharp(readFileSync("tests/fixtures/images/d-rotated.jpg")).rotate().resize(64, 64).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < original.length; i++) diff += Math.abs(original[i] - upright[i]);
    expect(diff / original.length).toBeLessThan(4);
  });

  it("full=true keeps the image's own size (tiled)", async () => {
    const response = await POST(multipart(readFileSync("tests/fixtures/images/c-wide.jpg"), { full: "true" }, "image/jpeg"));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-image-size")).toBe("96x64");
  });

  it("a crop box picks the square", async () => {
    const ok = await POST(multipart(readFileSync("tests/fixtures/images/c-wide.jpg"), { crop: "0,0,64", full: "1" }, "image/jpeg"));
    expect(ok.headers.get("x-image-size")).toBe("64x64");
    const outside = await POST(multipart(readFileSync("tests/fixtures/images/c-wide.jpg"), { crop: "40,0,64" }, "image/jpeg"));
    expect(outside.status).toBe(400);
    expect((await outside.json()).error).toMatch(/does not fit/);
  });

  it("refuses bad input with JSON errors and the right status", async () => {
    const cases: [Request, number, RegExp][] = [
      [new Request(url(), { method: "POST", body: new Uint8Array(0), headers: { "content-type": "image/png" } }), 400, /empty/],
      [multipart("hello, world"), 415, /not an image/],
      [new Request(url(), { method: "POST", body: "hello", headers: { "content-type": "text/plain" } }), 415, /multipart/],
      [multipart(face, { noise: "purple" }), 400, /noise/],
      [multipart(face, { noise: "gaussian", level: "2" }), 400, /level/],
      [multipart(face, { seed: "-1" }), 400, /seed/],
      [multipart(face.subarray(0, 2000)), 422, /could not be decoded/],
      [new Request(url(), { method: "POST", body: new FormData() }), 400, /"image"/],
    ];
    for (const [request, status, message] of cases) {
      const response = await POST(request);
      expect(response.status, message.source).toBe(status);
      expect((await response.json()).error).toMatch(message);
    }
  });

  it("refuses a 30-megapixel image before decoding it (413), and full resolution past the server's limit", async () => {
    const huge = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: "#808080" } }).png().toBuffer();
    const response = await POST(multipart(huge));
    expect(response.status).toBe(413);
    expect((await response.json()).error).toMatch(/30\.0 megapixels/);
    const big = await sharp({ create: { width: 2500, height: 2000, channels: 3, background: "#808080" } }).png().toBuffer();
    const full = await POST(multipart(big, { full: "true" }));
    expect(full.status).toBe(413);
    expect((await full.json()).error).toMatch(/at most 250,000 pixels \(0\.25 megapixels, e\.g\. 500×500\)/);
  });
});

describe("GET /api/models/[...path]", () => {
  const get = (segments: string[], query = "", headers: Record<string, string> = {}) =>
    GET(new Request(`http://localhost/api/models/${segments.join("/")}${query}`, { headers }), { params: Promise.resolve({ path: segments }) });

  it("serves the manifest and listed files; ?v=<sha256> is immutable, without it revalidates", async () => {
    const manifest = await get(["manifest.json"]);
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get("cache-control")).toBe("no-cache");
    const versioned = await get(MODELS.dae.entry.split("/"), `?v=${modelJsonSha}`);
    expect(versioned.status).toBe(200);
    expect(versioned.headers.get("cache-control")).toContain("immutable");
    expect(versioned.headers.get("etag")).toBe(`"${modelJsonSha}"`);
    const stale = await get(MODELS.dae.entry.split("/"), `?v=${"0".repeat(64)}`);
    expect(stale.status).toBe(404);
    const notModified = await get(MODELS.dae.entry.split("/"), "", { "if-none-match": `"${modelJsonSha}"` });
    expect(notModified.status).toBe(304);
  });

  it("refuses paths outside models/ and files the manifest does not list", async () => {
    for (const segments of [[".."], ["..", "package.json"], [DAE_FOLDER, "..", "..", "package.json"], ["..%2Fpackage.json"], [`${DAE_FOLDER}%2F..%2F..%2Fpackage.json`], [".hidden"], [`${DAE_FOLDER}\\model.json`]]) {
      expect((await get(segments)).status, segments.join("/")).toBe(400);
    }
    expect((await get([DAE_FOLDER, "nothing.bin"])).status).toBe(404);
  });
});
