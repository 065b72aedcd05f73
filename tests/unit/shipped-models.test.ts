import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { EMBEDDINGS, MODELS, type ModelSpec, SERVED_MODELS } from "@/lib/catalogue";
import { parseManifest } from "@/lib/manifest";
import { loadModelFromFile } from "@/training/model-files";
import { nodeSha256 } from "../helpers/sha256";

/** The model file contract the pages, the server routes and the evaluation rely on, checked on what is in models/. */

const MODELS_DIR = path.resolve("models");
const manifest = parseManifest(JSON.parse(readFileSync(path.join(MODELS_DIR, "manifest.json"), "utf8")));
const catalogue = new Map<string, ModelSpec>(Object.values(MODELS).map((spec) => [spec.key, spec]));

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("models/manifest.json", () => {
  it("lists every model the site needs", () => {
    for (const spec of [...SERVED_MODELS, ...EMBEDDINGS.map((e) => e.model)]) expect(manifest.models[spec.key], spec.key).toBeDefined();
  });

  it("holds each model where the catalogue says, taking and giving what it says", () => {
    for (const [key, entry] of Object.entries(manifest.models)) {
      const spec = catalogue.get(key);
      expect(spec, `${key} is not in lib/catalogue.ts`).toBeDefined();
      const { format, inputs, outputs } = entry;
      expect({ entry: entry.entry, format, inputs, outputs }, key).toEqual({ entry: spec!.entry, format: spec!.format, inputs: spec!.inputs, outputs: spec!.outputs });
    }
  });

  it("matches every file's size and sha256", () => {
    const files = Object.values(manifest.models).flatMap((m) => [...m.files, ...Object.values(m.artifacts ?? {})]);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const data = readFileSync(path.join(MODELS_DIR, file.path));
      expect(data.length, file.path).toBe(file.bytes);
      expect(nodeSha256(data), file.path).toBe(file.sha256);
    }
  });

  it("records how each model was trained", () => {
    for (const [name, entry] of Object.entries(manifest.models)) {
      expect(entry.training.examplesSeen, name).toBeGreaterThan(0);
      expect(entry.training.backend, name).toMatch(/^(tensorflow|webgpu|wasm|cpu)$/);
      expect(Object.keys(entry.training.metrics).length, name).toBeGreaterThan(0);
    }
  });
});

describe("shipped models honour the contract", () => {
  const load = (spec: ModelSpec) => loadModelFromFile(path.join(MODELS_DIR, spec.entry));

  it("dae: [N,64,64,3] in [0,1] -> same shape in [0,1], and larger inputs too", async () => {
    const dae = await load(MODELS.dae);
    for (const shape of [
      [2, 64, 64, 3],
      [1, 128, 96, 3],
    ]) {
      const x = tf.randomUniform(shape, 0, 1, "float32", 3);
      const y = dae.predict(x) as tf.Tensor;
      expect(y.shape).toEqual(shape);
      expect(tf.min(y).dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(tf.max(y).dataSync()[0]).toBeLessThanOrEqual(1);
      tf.dispose([x, y]);
    }
  });

  it("vae encoder: [N,784] -> [z_mean [N,2], z_log_var [N,2]]; decoder: [N,2] -> [N,784] in [0,1]", async () => {
    const [encoder, decoder] = await Promise.all([load(MODELS.vaeEncoder), load(MODELS.vaeDecoder)]);
    const x = tf.randomUniform([3, 784]);
    const outputs = encoder.predict(x) as tf.Tensor[];
    expect(encoder.outputNames).toEqual(["z_mean", "z_log_var"]);
    expect(outputs.map((t) => t.shape)).toEqual([
      [3, 2],
      [3, 2],
    ]);
    const digits = decoder.predict(outputs[0]) as tf.Tensor;
    expect(digits.shape).toEqual([3, 784]);
    expect(tf.max(digits).dataSync()[0]).toBeLessThanOrEqual(1);
    expect(tf.min(digits).dataSync()[0]).toBeGreaterThanOrEqual(0);
    tf.dispose([x, ...outputs, digits]);
  });
});
