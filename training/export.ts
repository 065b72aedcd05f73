import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { type FileEntry, type Manifest, manifestSchema, type ModelEntry, type TensorSpec } from "../lib/manifest";
import { saveModelToDir, sha256 } from "../lib/model-files";

/**
 * Writing trained models into `models/` and keeping `models/manifest.json` in step with the files: each export
 * replaces its own entry and leaves the other models' entries as they are.
 */

const MANIFEST = "manifest.json";

/** Inputs and outputs by layer name (what `model.outputNames` lists), with their shapes. */
function specsOf(names: string[], tensors: { shape: (number | null)[] }[]): TensorSpec[] {
  return tensors.map((t, i) => ({ name: names[i], shape: t.shape }));
}

/** Saves a LayersModel under `modelsDir/relativeDir` and returns its manifest entry (training filled in later). */
export async function exportLayersModel(
  model: LayersModel,
  modelsDir: string,
  relativeDir: string,
  training: ModelEntry["training"],
): Promise<ModelEntry> {
  const saved = await saveModelToDir(model, path.join(modelsDir, relativeDir));
  return {
    format: "layers-model",
    entry: `${relativeDir}/model.json`,
    files: saved.map((f) => ({ ...f, path: `${relativeDir}/${f.path}` })),
    inputs: specsOf(model.inputNames, model.inputs),
    outputs: specsOf(model.outputNames, model.outputs),
    training,
  };
}

/** Writes a data file (codes, PCA components) under `modelsDir` and returns its file entry. */
export async function exportDataFile(modelsDir: string, relativePath: string, data: Uint8Array | string): Promise<FileEntry> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = path.join(modelsDir, relativePath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return { path: relativePath, bytes: bytes.length, sha256: sha256(bytes) };
}

export async function readManifest(modelsDir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path.join(modelsDir, MANIFEST), "utf8");
  } catch {
    return { version: 1, models: {} };
  }
  return manifestSchema.parse(JSON.parse(text));
}

/** Replaces the named entries in the manifest, atomically. */
export async function updateManifest(modelsDir: string, entries: Record<string, ModelEntry>): Promise<Manifest> {
  const manifest = await readManifest(modelsDir);
  const updated: Manifest = manifestSchema.parse({ ...manifest, models: { ...manifest.models, ...entries } });
  const sorted = Object.fromEntries(Object.entries(updated.models).sort(([a], [b]) => a.localeCompare(b)));
  const file = path.join(modelsDir, MANIFEST);
  await writeFile(`${file}.tmp`, `${JSON.stringify({ ...updated, models: sorted }, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  return updated;
}

/** Data paths as the manifest records them: relative to the working folder, so no local layout is published. */
export function withRelativePaths<C extends { data: string; testData?: string }>(config: C): C {
  const relative = (p: string | undefined) => (p ? path.relative(process.cwd(), p) : p);
  return { ...config, data: relative(config.data), ...(config.testData === undefined ? {} : { testData: relative(config.testData) }) };
}
