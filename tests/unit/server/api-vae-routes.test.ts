import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { MODELS } from "@/lib/catalogue";
import { buildDigitDecoder, buildVaeEncoder, DEFAULT_VAE_CONFIG } from "@/training/models";
import { exportLayersModel, updateManifest } from "@/training/export";
import { POST as decode } from "@/app/api/vae/decode/route";
import { POST as encode } from "@/app/api/vae/encode/route";

/**
 * POST /api/vae/decode and /api/vae/encode, called directly, on a throwaway models folder holding a small untrained
 * VAE; the answers are checked against the same models run here.
 */

let dir: string;
const config = { hidden: [16] };
let encoder: ReturnType<typeof buildVaeEncoder>;
let decoder: ReturnType<typeof buildDigitDecoder>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "vae-routes-"));
  process.env.MODELS_DIR = dir;
  await tf.setBackend("cpu");
  const training = { config: { ...DEFAULT_VAE_CONFIG, ...config }, backend: "cpu", seconds: 0, examplesSeen: 1, epochs: 0, trainedAt: new Date(0).toISOString(), metrics: {} };
  encoder = buildVaeEncoder(config);
  decoder = buildDigitDecoder(config);
  const enc = await exportLayersModel(encoder, dir, MODELS.vaeEncoder, training);
  const dec = await exportLayersModel(decoder, dir, MODELS.vaeDecoder, training);
  await updateManifest(dir, { [MODELS.vaeEncoder.key]: enc, [MODELS.vaeDecoder.key]: dec });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

const json = (route: string, body: unknown, query = "", headers: Record<string, string> = {}) =>
  new Request(`http://localhost/api/vae/${route}${query}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });

describe("POST /api/vae/decode", () => {
  it("decodes points to 784 pixels each, as the decoder does", async () => {
    const z: [number, number][] = [[0, 0], [1.5, -2], [-3, 0.25]];
    const response = await decode(json("decode", { z }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ width: 28, height: 28, count: 3 });
    expect(body.pixels).toHaveLength(3);
    const expected = (decoder.predict(tf.tensor2d(z)) as tf.Tensor).arraySync() as number[][];
    for (let k = 0; k < 3; k++) {
      expect(body.pixels[k]).toHaveLength(784);
      for (let i = 0; i < 784; i += 37) expect(body.pixels[k][i]).toBeCloseTo(expected[k][i], 4);
    }
  });

  it("answers a PNG grid on request", async () => {
    const z = Array.from({ length: 6 }, (_, i) => [i - 3, 0]);
    const response = await decode(json("decode", { z }, "?format=png&columns=3"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([84, 56]);
  });

  it("refuses bad bodies with JSON errors and the right status", async () => {
    const cases: [Request, number, RegExp][] = [
      [json("decode", "{not json"), 400, /not valid JSON/],
      [json("decode", { z: [] }), 400, /at least one/],
      [json("decode", { z: [[0]] }), 400, /z/],
      [json("decode", '{"z": [[1e400, 0]]}'), 400, /z/],
      [json("decode", { z: [["a", 0]] }), 400, /z/],
      [json("decode", { z: [[5000, 0]] }), 400, /z/],
      [json("decode", { z: Array.from({ length: 401 }, () => [0, 0]) }), 413, /at most 400/],
      [new Request("http://localhost/api/vae/decode", { method: "POST", body: "z=1", headers: { "content-type": "text/plain" } }), 415, /JSON/],
      [json("decode", { z: [[0, 0]] }, "?format=png&columns=0"), 400, /columns/],
    ];
    for (const [request, status, message] of cases) {
      const response = await decode(request);
      expect(response.status, message.source).toBe(status);
      expect((await response.json()).error).toMatch(message);
    }
  });
});

describe("POST /api/vae/encode", () => {
  const digit = Array.from({ length: 784 }, (_, i) => ((i % 28) > 10 && (i % 28) < 16 ? 1 : 0));

  it("encodes 784 pixels to the posterior's mean and log-variance", async () => {
    const response = await encode(json("encode", { pixels: digit }));
    expect(response.status).toBe(200);
    const body = await response.json();
    const [mean, logVar] = (encoder.predict(tf.tensor2d([digit])) as tf.Tensor[]).map((t) => t.arraySync() as number[][]);
    expect(body.mean[0]).toBeCloseTo(mean[0][0], 4);
    expect(body.mean[1]).toBeCloseTo(mean[0][1], 4);
    expect(body.logVar[0]).toBeCloseTo(logVar[0][0], 4);
    expect(body.logVar[1]).toBeCloseTo(logVar[0][1], 4);
  });

  it("takes a PNG of the digit (the same pixels give the same code), and resizes other sizes to 28x28", async () => {
    const bytes = Buffer.from(digit.map((v) => v * 255));
    const post = (png: Buffer) => encode(new Request("http://localhost/api/vae/encode", { method: "POST", body: new Uint8Array(png), headers: { "content-type": "image/png" } }));
    const exact = await post(await sharp(bytes, { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer());
    expect(exact.status).toBe(200);
    const body = await exact.json();
    const direct = await (await encode(json("encode", { pixels: digit }))).json();
    for (const key of ["mean", "logVar"] as const) for (const i of [0, 1]) expect(body[key][i]).toBeCloseTo(direct[key][i], 4);
    const big = await post(await sharp(bytes, { raw: { width: 28, height: 28, channels: 1 } }).resize(56, 56, { kernel: "nearest" }).png().toBuffer());
    expect(big.status).toBe(200);
    const bigBody = await big.json();
    expect(bigBody.mean.every(Number.isFinite)).toBe(true);
    expect(bigBody.logVar.every(Number.isFinite)).toBe(true);
  });

  it("refuses bad bodies with JSON errors and the right status", async () => {
    const png = (body: Uint8Array<ArrayBuffer> | string) =>
      new Request("http://localhost/api/vae/encode", { method: "POST", body, headers: { "content-type": "image/png" } });
    const face = readFileSync("tests/fixtures/images/a-face.png");
    const cases: [Request, number, RegExp][] = [
      [json("encode", { pixels: [1, 2] }), 400, /pixels/],
      [json("encode", { pixels: digit.map(() => 2) }), 400, /pixels/],
      [json("encode", "[]"), 400, /pixels|body/],
      [png("hello, world"), 415, /not an image/],
      [png(new Uint8Array(face.subarray(0, 2000))), 422, /decoded|damaged/],
      [png(new Uint8Array(3 * 1024 * 1024)), 413, /limit/],
      [new Request("http://localhost/api/vae/encode", { method: "POST", body: "x", headers: { "content-type": "text/plain" } }), 415, /JSON/],
    ];
    for (const [request, status, message] of cases) {
      const response = await encode(request);
      expect(response.status, message.source).toBe(status);
      expect((await response.json()).error).toMatch(message);
    }
  });
});
