import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { type DaeArchitecture, DEFAULT_DAE_ARCHITECTURE, MODELS } from "@/lib/catalogue";
import type { FileEntry, Manifest, ModelEntry } from "@/lib/manifest";
import { exportLayersModel, updateManifest } from "@/training/export";
import { buildDae, buildDigitDecoder, buildVaeEncoder } from "@/training/models";

/**
 * A throwaway models folder holding untrained models exported as training exports them (files, then the
 * manifest), so that tests of the model loading and the routes do not depend on what training has put in models/.
 * The caller sets the tfjs backend (the CPU one) first, and removes the folder after.
 */

export const SMALL_DAE: DaeArchitecture = { ...DEFAULT_DAE_ARCHITECTURE, filters: 8 };

const training = (config: Record<string, unknown>): ModelEntry["training"] => ({
  config,
  backend: "cpu",
  seconds: 0,
  examplesSeen: 1,
  epochs: 0,
  trainedAt: new Date(0).toISOString(),
  metrics: {},
});

/**
 * Weights that are the same on every run and keep the ReLUs alive: Glorot-uniform kernels from a fixed seed,
 * hidden biases of 0.05 and a zero output bias. With tfjs' unseeded defaults an untrained DAE's correction can
 * come out all zero (every unit of a layer dead), and the model would hand its input back unchanged.
 */
export function setDeterministicWeights(model: LayersModel, seed = 1): void {
  const weights = model.getWeights();
  const replaced = weights.map((w, i) => {
    if (w.shape.length === 1) return tf.fill(w.shape, i === weights.length - 1 ? 0 : 0.05);
    // Kernels: [height, width, in, out] (transposed: [height, width, out, in]), or [in, out] for a dense layer.
    const [kh, kw, a, b] = w.shape.length === 4 ? w.shape : [1, 1, ...w.shape];
    const limit = Math.sqrt(6 / (kh * kw * (a + (b ?? 0))));
    return tf.randomUniform(w.shape, -limit, limit, "float32", seed + i);
  });
  model.setWeights(replaced);
  tf.dispose(replaced);
}

export interface ThrowawayModels {
  dir: string;
  dae: LayersModel;
  entries: Record<string, ModelEntry>;
}

/** A new folder with a small DAE (deterministic weights) and, with `vae`, a small VAE encoder and decoder (all that GET /api/health loads). */
export async function exportThrowawayModels(prefix: string, { vae = false, dae: daeConfig = SMALL_DAE } = {}): Promise<ThrowawayModels> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const dae = buildDae(daeConfig);
  setDeterministicWeights(dae);
  const entries: Record<string, ModelEntry> = {
    [MODELS.dae.key]: await exportLayersModel(dae, dir, MODELS.dae, training({ ...daeConfig })),
  };
  if (vae) {
    const config = { hidden: [8] };
    entries[MODELS.vaeEncoder.key] = await exportLayersModel(buildVaeEncoder(config), dir, MODELS.vaeEncoder, training(config));
    entries[MODELS.vaeDecoder.key] = await exportLayersModel(buildDigitDecoder(config), dir, MODELS.vaeDecoder, training(config));
  }
  await updateManifest(dir, entries);
  return { dir, dae, entries };
}

/** The DAE's weight file (its only shard: the small DAE's weights fit in one). */
export function daeWeightFile(entries: Record<string, ModelEntry>): FileEntry {
  const shards = entries[MODELS.dae.key].files.filter((f) => f.path !== MODELS.dae.entry);
  if (shards.length !== 1) throw new Error(`expected one weight shard, found ${shards.map((f) => f.path).join(", ")}`);
  return shards[0];
}

/**
 * Flips bits of one byte of a file in place and returns a function that puts the byte back. The default is the
 * file's last byte, XOR 0x40: in a weight shard that is the top byte of the last float32 (a bias of the
 * output layer), which becomes 2 if it was 0, enough to change the model's output everywhere.
 */
export function flipByte(file: string, { offset = -1, mask = 0x40 } = {}): () => void {
  const bytes = readFileSync(file);
  const at = offset < 0 ? bytes.length + offset : offset;
  const original = bytes[at];
  bytes[at] = original ^ mask;
  writeFileSync(file, bytes);
  return () => {
    const now = readFileSync(file);
    now[at] = original;
    writeFileSync(file, now);
  };
}

export function readManifestJson(dir: string): Manifest {
  return JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
}

/** Rewrites the manifest with `file`'s new size and sha256 wherever it is listed (a corrected manifest). */
export function writeManifestWith(dir: string, file: FileEntry): void {
  const manifest = readManifestJson(dir);
  for (const entry of Object.values(manifest.models)) {
    entry.files = entry.files.map((f) => (f.path === file.path ? file : f));
  }
  writeFileSync(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A `fetch` that serves the files of a models folder at /models/<path>, and 404 for anything else. */
export function modelsFolderFetch(dir: string): (url: string) => Promise<Response> {
  return async (url) => {
    const key = new URL(url).pathname.replace(/^\/models\//, "");
    try {
      return new Response(new Uint8Array(readFileSync(path.join(dir, key))));
    } catch {
      return new Response("not found", { status: 404 });
    }
  };
}
