import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { parseManifest } from "@/lib/manifest";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { loadModelFromFile } from "@/training/model-files";
import { nodeSha256 } from "../../helpers/sha256";
import { learningRateAt } from "@/training/schedule";
import { runCommand } from "../../helpers/run-command";
import { MODELS, RUNS } from "@/lib/catalogue";

/** Smoke runs of the real training command on the CPU: a few hundred examples, one epoch, exported and reloaded. */

const work = mkdtempSync(path.join(tmpdir(), "train-cli-"));
const modelsDir = path.join(work, "models");
const faces = "tests/fixtures/faces-small.npz";

afterAll(() => rmSync(work, { recursive: true, force: true }));

function train(args: string[]) {
  return runCommand("npx", ["tsx", "training/cli.ts", ...args, "--out", modelsDir]);
}

function manifest() {
  return parseManifest(JSON.parse(readFileSync(path.join(modelsDir, "manifest.json"), "utf8")));
}

function expectFilesMatchManifest() {
  for (const entry of Object.values(manifest().models)) {
    for (const file of [...entry.files, ...Object.values(entry.artifacts ?? {})]) {
      expect(nodeSha256(readFileSync(path.join(modelsDir, file.path))), file.path).toBe(file.sha256);
    }
  }
}

describe("npm run train", () => {
  it("trains the VAE for one epoch on 256 digits, logs both loss terms, exports encoder, decoder and codes", async () => {
    const run = await train([RUNS.vae.name, "--epochs", "1", "--limit", "256", "--checkpoint-dir", path.join(work, "ckpt-vae")]);
    // Which backend depends on the machine (backend-choice.test.ts checks the choice); it is named.
    expect(run.stdout).toMatch(/^backend: (tensorflow|webgpu|wasm|cpu) /m);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/epoch 1\/1: reconstruction [\d.]+ \| kl [\d.]+/);
    const entry = manifest().models[MODELS.vaeEncoder.key];
    expect(entry.training.examplesSeen).toBe(256);
    expect(entry.training.metrics.test_neg_elbo).toBeGreaterThan(0);
    expect(entry.artifacts?.codes.bytes).toBe(10_000 * 2 * 4);
    const decoder = await loadModelFromFile(path.join(modelsDir, MODELS.vaeDecoder.entry));
    const y = decoder.predict(tf.zeros([1, 2])) as tf.Tensor;
    expect(y.shape).toEqual([1, 784]);
    expectFilesMatchManifest();
  });

  it("trains the DAE on an .npz, resumes from its checkpoint, and exports a model that keeps the input size", async () => {
    const checkpoint = path.join(work, "ckpt-dae");
    const common = ["--data", faces, "--test-data", faces, "--filters", "8", "--depth", "1", "--batch-size", "8", "--checkpoint-dir", checkpoint];
    const first = await train([RUNS.dae.name, "--epochs", "1", ...common]);
    expect(first.status, first.stderr).toBe(0);
    const second = await train([RUNS.dae.name, "--resume", "--epochs", "2", "--checkpoint-dir", checkpoint]);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/resumed from .* after epoch 1 \(12 examples seen\)/);
    const otherShape = await train([RUNS.dae.name, "--resume", "--epochs", "3", "--filters", "4", "--checkpoint-dir", checkpoint]);
    expect(otherShape.status).not.toBe(0);
    expect(otherShape.stderr.trim().split("\n").at(-1)).toMatch(/^error: cannot resume from .*ckpt-dae: Layer weight shape .* not compatible/);
    const state = JSON.parse(readFileSync(path.join(checkpoint, "state.json"), "utf8"));
    expect(state).toMatchObject({ model: RUNS.dae.name, epoch: 2, examplesSeen: 24, config: { filters: 8, depth: 1 } });
    const entry = manifest().models[MODELS.dae.key];
    expect(entry.training.epochs).toBe(2);
    for (const setting of ["gaussian-0.1", "gaussian-0.2", "masking-0.5", "salt-pepper-0.1"]) expect(entry.training.metrics[`val_psnr_${setting}`], setting).toBeGreaterThan(5);
    const dae = await loadModelFromFile(path.join(modelsDir, MODELS.dae.entry));
    const y = dae.predict(tf.zeros([1, 96, 64, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 96, 64, 3]);
    expectFilesMatchManifest();
  });

  it("starts a DAE with a refinement head (one that sees impulse marks) from a trained DAE (--init-from): before training it denoises as that DAE does", async () => {
    const common = ["--data", faces, "--test-data", faces, "--filters", "8", "--depth", "1", "--batch-size", "8", "--epochs", "1"];
    const trainedFile = path.join(modelsDir, MODELS.dae.entry);
    expect((await train([RUNS.dae.name, ...common, "--checkpoint-dir", path.join(work, "ckpt-dae-base")])).status).toBe(0);
    const input = tf.randomUniform([1, 64, 64, 3], 0, 1, "float32", 7);
    const trained = await loadModelFromFile(trainedFile);
    const before = (trained.predict(input) as tf.Tensor).arraySync();
    const trainedLayers = trained.layers.filter((layer) => layer.weights.length > 0).length;

    // A learning rate of 1e-9: after its two steps the model is still where --init-from put it.
    const refined = await train([RUNS.dae.name, ...common, "--refine", "1", "--refine-filters", "4", "--impulse-marks", "head", "--lr", "1e-9", "--init-from", trainedFile, "--checkpoint-dir", path.join(work, "ckpt-dae-refine")]);
    expect(refined.status, refined.stderr).toBe(0);
    expect(refined.stdout).toMatch(new RegExp(`started from .*: ${trainedLayers} of ${trainedLayers + 4} layers`));
    const refinedModel = await loadModelFromFile(trainedFile);
    const after = refinedModel.predict(input) as tf.Tensor;
    // The head's correction starts at zero and its gate nearly closed, so the new model's output is the trained body's.
    expect(tf.max(tf.abs(tf.sub(after, before))).dataSync()[0]).toBeLessThan(3e-3);

    // --train-layers refine (from the refined model): the head learns, everything before it stays as it was given.
    const layerValues = (model: LayersModel) => model.layers.filter((layer) => layer.weights.length > 0).map((layer) => layer.getWeights().map((w) => w.dataSync()));
    const refinedValues = layerValues(refinedModel);
    const headOnly = await train([RUNS.dae.name, ...common, "--refine", "1", "--refine-filters", "4", "--impulse-marks", "head", "--lr", "1e-2", "--train-layers", "refine", "--init-from", trainedFile, "--checkpoint-dir", path.join(work, "ckpt-dae-head")]);
    expect(headOnly.status, headOnly.stderr).toBe(0);
    const headTrained = layerValues(await loadModelFromFile(trainedFile));
    refinedValues.slice(0, trainedLayers).forEach((weights, i) => expect(headTrained[i], `layer ${i}`).toEqual(weights));
    // The head's output convolution started at zero and has learned something.
    expect(Math.max(...headTrained.at(-1)![0].map(Math.abs))).toBeGreaterThan(0);

    const misfit = await train([RUNS.dae.name, ...common, "--filters", "4", "--init-from", trainedFile, "--checkpoint-dir", path.join(work, "ckpt-dae-misfit")]);
    expect(misfit.status).not.toBe(0);
    expect(misfit.stderr.trim().split("\n").at(-1)).toMatch(/^error: --init-from .*: its first weights do not fit this model$/);
  });

  it("smoke-trains the plain face autoencoder (validating on people held out of its data) and the 2-D autoencoder", async () => {
    // No --test-data: the validation faces are whole people held out of the 16 training faces, not the test set.
    const aeFaces = await train([RUNS.faceAutoencoder.name, "--epochs", "1", "--data", "tests/fixtures/faces-small.u8", "--batch-size", "6", "--checkpoint-dir", path.join(work, "ckpt-ae-faces")]);
    expect(aeFaces.status, aeFaces.stderr).toBe(0);
    const held = Number(aeFaces.stdout.match(/validation: .*faces-small\.u8, validation part, people not in the training part \((\d+) faces\)/)?.[1]);
    expect(held).toBeGreaterThanOrEqual(3);
    const ae2d = await train([RUNS.ae2d.name, "--epochs", "1", "--limit", "300", "--checkpoint-dir", path.join(work, "ckpt-ae2d")]);
    expect(ae2d.status, ae2d.stderr).toBe(0);
    const models = manifest().models;
    expect(models[MODELS.faceAutoencoder.key].training.examplesSeen).toBe(16 - held);
    expect(models[MODELS.ae2dEncoder.key].outputs).toEqual([{ name: "code", shape: [null, 2] }]);
    expect(models[MODELS.ae2dEncoder.key].training.metrics.test_squared_error).toBeGreaterThan(0);
    expectFilesMatchManifest();
  });

  it("decays the learning rate on a cosine schedule, step by step, and records it per epoch", async () => {
    const checkpoint = path.join(work, "ckpt-cosine");
    const schedule = { learningRate: 1e-3, lrSchedule: "cosine" as const, minLearningRate: 1e-4 };
    const run = await train([RUNS.ae2d.name, "--epochs", "2", "--limit", "256", "--batch-size", "128", "--lr", "1e-3", "--lr-schedule", "cosine", "--min-lr", "1e-4", "--checkpoint-dir", checkpoint]);
    expect(run.status, run.stderr).toBe(0);
    const state = JSON.parse(readFileSync(path.join(checkpoint, "state.json"), "utf8"));
    expect(state.config).toMatchObject(schedule);
    // Two steps an epoch: each epoch's record holds the rate of its last step, taken at 1/4 and 3/4 of the run.
    expect(state.history.map((h: { lr: number }) => h.lr)).toEqual([learningRateAt(schedule, 0.25), learningRateAt(schedule, 0.75)]);
    expect(manifest().models[MODELS.ae2dEncoder.key].training.metrics).not.toHaveProperty("lr");
  });

  it("fits 2-D PCA in closed form with unit-length, orthogonal axes", async () => {
    const run = await train([RUNS.pca2d.name, "--limit", "2000"]);
    expect(run.status, run.stderr).toBe(0);
    const pca = JSON.parse(readFileSync(path.join(modelsDir, MODELS.pca2d.entry), "utf8"));
    const [a, b] = pca.components as number[][];
    const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
    expect(dot(a, a)).toBeCloseTo(1, 4);
    expect(dot(b, b)).toBeCloseTo(1, 4);
    expect(dot(a, b)).toBeCloseTo(0, 4);
    expect(pca.explainedVariance[0]).toBeGreaterThanOrEqual(pca.explainedVariance[1]);
    expectFilesMatchManifest();
  });

  it("stops with a clear last line, and no stack trace, on a NaN loss", async () => {
    const run = await train([RUNS.ae2d.name, "--epochs", "1", "--limit", "512", "--lr", "1e30", "--checkpoint-dir", path.join(work, "ckpt-nan")]);
    expect(run.status).not.toBe(0);
    // stderr also carries the progress bar; the error is the last line.
    expect(run.stderr.trim().split("\n").at(-1)).toMatch(/^error: (loss term 'bce'|held-out metric 'test_squared_error') became NaN/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("rejects bad usage with one line and no stack trace", async () => {
    for (const args of [["nope"], [RUNS.vae.name, "--epochs", "-1"], [RUNS.vae.name, "--filters", "8"], [RUNS.vae.name, "--backend", "tpu"], [RUNS.dae.name, "--data", "missing.npz"],
      [RUNS.vae.name, "--lr-schedule", "linear"], [RUNS.vae.name, "--lr-schedule", "cosine", "--lr", "1e-4", "--min-lr", "1e-3"]]) {
      const run = await train(args);
      expect(run.status, args.join(" ")).not.toBe(0);
      expect(run.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
