import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel } from "@tensorflow/tfjs-layers";
import { MODELS } from "@/lib/catalogue";
import { SERVER_MAX_BODY_BYTES } from "@/lib/limits";
import { parseManifest } from "@/lib/manifest";
import { modelArtifacts } from "@/lib/model-artifacts";
import { POST as denoise } from "@/app/api/denoise/route";
import { POST as share } from "@/app/api/share/route";
import { GET as shareImage } from "@/app/api/share/[id]/[image]/route";
import {
  compressedTextChunk,
  concatBytes,
  encodeChunk,
  exifChunk,
  ihdrChunk,
  insertChunksAfterHeader,
  internationalTextChunk,
  PNG_SIGNATURE,
  readPngChunks,
  textChunk,
} from "../../helpers/png-chunks";
import { serverPool } from "../../helpers/server-state";
import { exportThrowawayModels } from "../../helpers/throwaway-models";

/**
 * Server paths through the routes (issue #13, item 7), on a throwaway models folder (an untrained small DAE) and a
 * throwaway data folder: the 4 MB body limit of /api/denoise however the body comes, the pixel limit read from the
 * header before any decoding, `full=true` equal to one whole-image pass of the model and bounded by its compute
 * budget (issue 15), and shared PNGs stored without the metadata they came with.
 */

let modelsDir: string;
let dataDir: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  modelsDir = (await exportThrowawayModels("limits-models-")).dir;
  dataDir = mkdtempSync(path.join(tmpdir(), "limits-data-"));
  process.env.MODELS_DIR = modelsDir;
  process.env.DATA_DIR = dataDir;
});

afterAll(() => {
  serverPool().close();
  rmSync(modelsDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
  delete process.env.DATA_DIR;
});

const url = (query = "") => `http://localhost/api/denoise${query}`;
/** A raw image/png body: bytes, or a stream (which declares no length). */
const raw = (body: Uint8Array | ReadableStream<Uint8Array>, headers: Record<string, string> = {}, query = "") =>
  new Request(url(query), {
    method: "POST",
    body: body instanceof ReadableStream ? body : new Uint8Array(body),
    headers: { "content-type": "image/png", ...headers },
    duplex: "half",
  } as RequestInit);

function multipart(file: Uint8Array, fields: Record<string, string> = {}): Request {
  const form = new FormData();
  form.set("image", new Blob([new Uint8Array(file)], { type: "image/png" }), "upload.png");
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  return new Request(url(), { method: "POST", body: form });
}

async function expectError(response: Response, status: number, message: RegExp) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect((await response.json()).error).toMatch(message);
}

/** Pixels that vary in both directions and every channel. */
async function patternPng(width: number, height: number): Promise<{ png: Buffer; pixels: Uint8Array }> {
  const pixels = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + Math.floor(i / (width * 3)) * 91) % 256);
  return { png: await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer(), pixels };
}

describe("POST /api/denoise: the 4 MB body limit", () => {
  const limit = /limit is 4194304 \(4\.0 MB\)/;

  it("refuses a multipart body just over the limit with 413", async () => {
    await expectError(await denoise(multipart(new Uint8Array(SERVER_MAX_BODY_BYTES))), 413, limit);
  });

  it("refuses a raw body one byte over the limit with 413, and reads one of exactly the limit", async () => {
    await expectError(await denoise(raw(new Uint8Array(SERVER_MAX_BODY_BYTES + 1))), 413, limit);
    // At the limit the body is read, and then turned away for what it is (zeros are no image), not for its size.
    await expectError(await denoise(raw(new Uint8Array(SERVER_MAX_BODY_BYTES))), 415, /not an image/);
  });

  it("refuses a body by its declared Content-Length before reading it", async () => {
    const response = await denoise(raw(new Uint8Array(16), { "content-length": String(SERVER_MAX_BODY_BYTES + 1) }));
    await expectError(response, 413, new RegExp(`is ${SERVER_MAX_BODY_BYTES + 1} bytes`));
  });

  it("stops reading a streamed body without a Content-Length once it passes the limit", async () => {
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const request = raw(endless);
    expect(request.headers.get("content-length")).toBeNull();
    await expectError(await denoise(request), 413, limit);
    expect(pulled).toBeLessThan(SERVER_MAX_BODY_BYTES / (64 * 1024) + 4);
  });
});

describe("POST /api/denoise: the pixel limit, from the header", () => {
  it("answers 413 for a PNG whose header says 6000x5000, over garbage, before decoding it", async () => {
    const garbage = Uint8Array.from({ length: 4000 }, (_, i) => (i * 7919 + 13) % 256);
    const png = concatBytes(PNG_SIGNATURE, encodeChunk(ihdrChunk(6000, 5000)), garbage);
    await expectError(await denoise(raw(png)), 413, /6000×5000 \(30\.0 megapixels\)/);
    await expectError(await denoise(multipart(png)), 413, /30\.0 megapixels/);
  });

  it("still answers 422 for a PNG of allowed size whose data is garbage, without quoting the decoder", async () => {
    const { png } = await patternPng(40, 24);
    // The whole message: sharp's own ("pngload_buffer: libspng read error", say) stays out of it.
    await expectError(await denoise(raw(png.subarray(0, png.length - 40))), 422, /^The image could not be decoded: it may be damaged or truncated\.$/);
  });
});

describe("POST /api/denoise?full=true", () => {
  it.each([
    [40, 24],
    [300, 20],
  ])("denoises a %ix%i image as one whole-image pass of the model would, to within 1 of 255", async (width, height) => {
    const { png, pixels } = await patternPng(width, height);
    const response = await denoise(raw(png, {}, "?full=true&noise=none"));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-image-size")).toBe(`${width}x${height}`);
    const { data, info } = await sharp(Buffer.from(await response.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([width, height, 3]);

    // The same files, loaded by tfjs-layers and run once on the whole image on the CPU backend.
    const serverBackend = tf.getBackend();
    await tf.setBackend("cpu");
    let expected: Uint8Array;
    try {
      const manifest = parseManifest(JSON.parse(readFileSync(path.join(modelsDir, "manifest.json"), "utf8")));
      const { artifacts } = await modelArtifacts(manifest, MODELS.dae.key, async (file) => new Uint8Array(readFileSync(path.join(modelsDir, file.path))));
      const model = await loadLayersModel({ load: async () => artifacts });
      const output = tf.tidy(() => model.predict(tf.tensor4d(Float32Array.from(pixels, (v) => v / 255), [1, height, width, 3])) as tf.Tensor);
      expected = Uint8Array.from(await output.data(), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
      output.dispose();
      model.dispose();
    } finally {
      await tf.setBackend(serverBackend);
    }
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(data[i] - expected[i]));
    expect(worst).toBeLessThanOrEqual(1);
    // The model does change the image, so matching it is not matching the input.
    expect(expected.some((v, i) => Math.abs(v - pixels[i]) > 2)).toBe(true);
  });
});

describe("POST /api/denoise?full=true: the compute budget", () => {
  const BUDGET = /one request may denoise at most 250,000 pixels \(0\.25 megapixels, e\.g\. 500×500\)/;

  it("answers 413 for a 2000x2000 black PNG of a few kB, saying what fits, and runs no model", async () => {
    const black = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: "#000" } }).png({ compressionLevel: 9 }).toBuffer();
    expect(black.length).toBeLessThan(20_000);
    const runs = serverPool().completed;
    const response = await denoise(raw(black, {}, "?full=true"));
    await expectError(response, 413, /2000×2000 pixels \(4\.0 megapixels\)/);
    await expectError(await denoise(raw(black, {}, "?full=true")), 413, BUDGET);
    await expectError(await denoise(raw(black, {}, "?full=true&crop=0,0,501")), 413, /501×501/);
    expect(serverPool().completed).toBe(runs);
    // Without full=true the same image is cropped and resized to the model's 64x64 first: well within the budget.
    expect((await denoise(raw(black))).status).toBe(200);
  });

  it("denoises a crop of the budget's largest square", async () => {
    const black = await sharp({ create: { width: 700, height: 700, channels: 3, background: "#204060" } }).png().toBuffer();
    const response = await denoise(raw(black, {}, "?full=true&crop=10,10,500"));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-image-size")).toBe("500x500");
  });
});

describe("POST /api/share: metadata", () => {
  const METADATA = ["tEXt", "iTXt", "zTXt", "eXIf"];
  const SECRET = "home: 51.5007N 0.1246W";

  async function pngWithMetadata(seed: number): Promise<{ url: string; pixels: Buffer }> {
    const pixels = Buffer.from(Array.from({ length: 16 * 16 * 3 }, (_, i) => (i * 29 + seed * 7) % 256));
    const plain = await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } }).png().toBuffer();
    const tagged = insertChunksAfterHeader(plain, [
      textChunk("Comment", SECRET),
      internationalTextChunk("Description", SECRET),
      compressedTextChunk("Author", SECRET),
      exifChunk(SECRET),
    ]);
    expect(readPngChunks(tagged).map((c) => c.type)).toEqual(expect.arrayContaining(METADATA));
    return { url: `data:image/png;base64,${Buffer.from(tagged).toString("base64")}`, pixels };
  }

  it("stores PNGs without the tEXt, iTXt, zTXt and eXIf chunks they came with, pixels unchanged", async () => {
    const [noisy, denoised] = [await pngWithMetadata(1), await pngWithMetadata(2)];
    const response = await share(
      new Request("http://localhost/api/share", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ noisy: noisy.url, denoised: denoised.url, noise: { kind: "gaussian", level: 0.1 } }),
      }),
    );
    expect(response.status).toBe(201);
    const { id } = await response.json();
    for (const [name, sent] of [["noisy", noisy], ["denoised", denoised]] as const) {
      const answer = await shareImage(new Request(`http://localhost/api/share/${id}/${name}.png`), { params: Promise.resolve({ id, image: `${name}.png` }) });
      expect(answer.status).toBe(200);
      const stored = new Uint8Array(await answer.arrayBuffer());
      const types = readPngChunks(stored).map((c) => c.type);
      expect(types[0]).toBe("IHDR");
      expect(types.at(-1)).toBe("IEND");
      expect(types.filter((t) => METADATA.includes(t))).toEqual([]);
      expect(Buffer.from(stored).includes(SECRET)).toBe(false);
      expect((await sharp(stored).raw().toBuffer()).equals(sent.pixels)).toBe(true);
    }
  });
});
