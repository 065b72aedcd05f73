import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS, EMBEDDING_IDS, MODELS } from "@/lib/catalogue";
import { evaluationSchema } from "@/lib/evaluation";
import { type PixelImage, pixelImage } from "@/lib/image";
import type { ModelEntry } from "@/lib/manifest";
import { psnr } from "@/lib/metrics";
import { applyNoise } from "@/lib/noise";
import { evaluate } from "@/training/evaluate";
import { loadAnchors } from "@/training/evaluation/anchors";
import { bestParameterByPsnr, gaussianBlur, GAUSSIAN_BLUR, meanPerImage, medianFilter } from "@/training/evaluation/classical";
import { latentGridCoordinates } from "@/training/evaluation/figures";
import { inverseNormalCdf } from "@/lib/latent";
import { NOISE_SETTINGS } from "@/training/evaluation/settings";
import { exportDataFile, exportLayersModel, updateManifest } from "@/training/export";
import { buildDae, buildDigitDecoder, buildDigitEncoder, buildVaeEncoder } from "@/training/models";

const constant = (value: number, width: number, height: number, channels = 3) =>
  pixelImage(new Float32Array(width * height * channels).fill(value), width, height, channels);

/** A smooth 32x32 RGB image: a diagonal gradient, different in each channel. */
function smoothImage(): PixelImage<Float32Array> {
  const [width, height] = [32, 32];
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = 0.2 + (0.6 * (x + (c + 1) * y)) / (width + 3 * height);
    }
  }
  return pixelImage(data, width, height);
}

describe("classical filters", () => {
  it("leave a constant image unchanged, even when the blur is wider than the image", () => {
    for (const sigma of [0.5, 1, 2.5]) {
      const blurred = gaussianBlur(constant(0.4, 5, 4), sigma);
      for (const value of blurred.data) expect(value).toBeCloseTo(0.4, 6);
    }
    expect(medianFilter(constant(0.4, 5, 4), 5).data.every((v) => v === 0.4 || Math.abs(v - 0.4) < 1e-7)).toBe(true);
  });

  it("median: an isolated salt pixel disappears, the rest of the image stays as it was", () => {
    const image = constant(0.3, 9, 9);
    image.data.fill(1, (4 * 9 + 4) * 3, (4 * 9 + 4) * 3 + 3);
    for (const window of [3, 5]) {
      for (const value of medianFilter(image, window).data) expect(value).toBeCloseTo(0.3, 7);
    }
  });

  it("median: keeps a straight edge, reflecting at the borders", () => {
    const edge = pixelImage(Float32Array.from({ length: 6 * 6 }, (_, i) => (i % 6 < 3 ? 0 : 1)), 6, 6, 1);
    expect(Array.from(medianFilter(edge, 3).data)).toEqual(Array.from(edge.data));
  });

  it("median refuses even windows", () => {
    expect(() => medianFilter(constant(0, 4, 4), 4)).toThrow(RangeError);
  });

  it("blur raises the PSNR of a noisy smooth image", () => {
    const clean = smoothImage();
    const noisy = { ...clean, data: applyNoise(clean.data, { kind: "gaussian", level: 0.1 }, 42) };
    expect(psnr(gaussianBlur(noisy, 1), clean)).toBeGreaterThan(psnr(noisy, clean) + 5);
  });

  it("the best parameter is the candidate with the highest mean PSNR", () => {
    const clean = [smoothImage(), smoothImage()];
    const noisy = clean.map((image, i) => ({ ...image, data: applyNoise(image.data, { kind: "gaussian", level: 0.1 }, i) }));
    const best = bestParameterByPsnr(GAUSSIAN_BLUR, noisy, clean);
    const meanFor = (sigma: number) => meanPerImage(psnr, noisy.map((image) => gaussianBlur(image, sigma)), clean);
    for (const sigma of GAUSSIAN_BLUR.candidates) expect(best.meanPsnr).toBeGreaterThanOrEqual(meanFor(sigma));
    expect(best.meanPsnr).toBeCloseTo(meanFor(best.parameter), 10);
    expect(best.outputs).toHaveLength(2);
  });
});

describe("the latent grid", () => {
  it("spaces the grid by Φ⁻¹ of 0.05..0.95, z1 to the right and z2 upwards", () => {
    const grid = latentGridCoordinates(20);
    expect(grid).toHaveLength(20 * 20 * 2);
    expect(grid[0]).toBeCloseTo(-1.644854, 5); // top left: lowest z1, highest z2
    expect(grid[1]).toBeCloseTo(1.644854, 5);
    expect(grid[2]).toBeCloseTo(inverseNormalCdf(0.05 + 0.9 / 19), 5);
    expect(grid.at(-2)).toBeCloseTo(1.644854, 5);
    expect(grid.at(-1)).toBeCloseTo(-1.644854, 5);
  });
});

describe("npm run evaluate, on tiny untrained models", () => {
  const faces = path.resolve("tests/fixtures/faces-small.u8");
  const work = mkdtempSync(path.join(tmpdir(), "evaluate-"));
  const modelsDir = path.join(work, "models");

  const training: ModelEntry["training"] = {
    config: {},
    backend: "cpu",
    seconds: 1,
    examplesSeen: 1,
    epochs: 1,
    trainedAt: new Date(0).toISOString(),
    metrics: { loss: 0 },
  };

  /** A PCA whose axes are the first two pixels: enough to exercise the code paths. */
  async function exportPca(): Promise<ModelEntry> {
    const axis = (i: number) => Array.from({ length: DIGIT_PIXELS }, (_, p) => (p === i ? 1 : 0));
    const pca = { mean: new Array(DIGIT_PIXELS).fill(0), components: [axis(0), axis(1)], explainedVariance: [1, 1] };
    const file = await exportDataFile(modelsDir, MODELS.pca2d.entry, JSON.stringify(pca));
    return { format: "data", entry: file.path, files: [file], inputs: [], outputs: [], training };
  }

  beforeAll(async () => {
    await tf.setBackend("cpu");
    const tiny = { hidden: [8] };
    await updateManifest(modelsDir, {
      [MODELS.dae.key]: await exportLayersModel(buildDae({ filters: 4, depth: 1, downsampling: 2 }), modelsDir, MODELS.dae, training),
      [MODELS.vaeEncoder.key]: await exportLayersModel(buildVaeEncoder(tiny), modelsDir, MODELS.vaeEncoder, training),
      [MODELS.vaeDecoder.key]: await exportLayersModel(buildDigitDecoder(tiny), modelsDir, MODELS.vaeDecoder, training),
      [MODELS.ae2dEncoder.key]: await exportLayersModel(buildDigitEncoder(tiny), modelsDir, MODELS.ae2dEncoder, training),
      [MODELS.ae2dDecoder.key]: await exportLayersModel(buildDigitDecoder(tiny, MODELS.ae2dDecoder), modelsDir, MODELS.ae2dDecoder, training),
      [MODELS.pca2d.key]: await exportPca(),
    });
  });

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("writes the report, the JSON and the figures, and leaks no tensors", async () => {
    const out = path.join(work, "report");
    const before = tf.memory().numTensors;
    const evaluation = await evaluate({ modelsDir, faces, limit: 12, out, command: "test", backend: "cpu" }, () => {});
    expect(tf.memory().numTensors).toBe(before);

    expect(evaluation.faces.count).toBe(12);
    expect(evaluation.faces.settings.map((s) => s.id)).toEqual(["gaussian-0.1", "gaussian-0.2", "masking-0.5", "salt-pepper-0.1"]);
    // An untrained residual DAE passes its input through nearly unchanged; the filters must do better on gaussian noise.
    const gaussian = evaluation.faces.settings[0];
    expect(gaussian.noisy.psnr).toBeGreaterThan(19);
    expect(gaussian.blur.psnr).toBeGreaterThan(gaussian.noisy.psnr);
    expect(evaluation.mnist.testDigits).toBe(12);
    expect(evaluation.targets).toHaveLength(7);

    const json = evaluationSchema.parse(JSON.parse(readFileSync(path.join(out, "evaluation.json"), "utf8")));
    expect(json).toEqual(evaluation);
    expect(Object.keys(json.mnist.knn5).sort()).toEqual([...EMBEDDING_IDS].sort());
    const report = readFileSync(path.join(out, "REPORT.md"), "utf8");
    const figures = [...report.matchAll(/\]\((figures\/[\w.-]+\.png)\)/g)].map((m) => m[1]);
    expect(figures).toHaveLength(6);
    for (const figure of figures) expect(existsSync(path.join(out, figure)), figure).toBe(true);
  });
});

describe("the anchors", () => {
  it("load from anchors.json, one entry for each noise setting", async () => {
    const anchors = await loadAnchors();
    expect(anchors.source).toContain("dae-anchors.md");
    expect(Object.keys(anchors.settings).sort()).toEqual(NOISE_SETTINGS.map((s) => s.id).sort());
    expect(anchors.settings["gaussian-0.1"].bestPyTorch).toEqual({ name: "10 convs x 96, 100 s", psnr: 30.23 });
  });

  it("refuse a file that lacks a noise setting", async () => {
    const anchors = await loadAnchors();
    const [first, ...others] = NOISE_SETTINGS.map((s) => s.id);
    const dir = mkdtempSync(path.join(tmpdir(), "anchors-"));
    const file = path.join(dir, "anchors.json");
    writeFileSync(file, JSON.stringify({ ...anchors, settings: Object.fromEntries(others.map((id) => [id, anchors.settings[id]])) }));
    try {
      await expect(loadAnchors(file)).rejects.toThrow(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
