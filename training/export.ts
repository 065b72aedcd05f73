import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { ModelSpec } from "../lib/catalogue";
import { type FileEntry, type Manifest, manifestSchema, type ModelEntry } from "../lib/manifest";
import { sha256Hex } from "../lib/sha256";
import { saveModelToDir, writeFileSafely } from "./model-files";

/**
 * Writing trained models into `models/` and keeping `models/manifest.json` in step with the files: each export
 * replaces its own entries and leaves the other models' entries as they are. Where a model goes and what it
 * takes and gives are the catalogue's (lib/catalogue.ts); an export that does not match it is refused.
 */

const MANIFEST = "manifest.json";

/** Refuses a model whose inputs or outputs differ from the catalogue's: every runtime relies on those. */
function checkAgainstCatalogue(model: LayersModel, spec: ModelSpec): void {
  const actual = (names: string[], tensors: { shape: (number | null)[] }[]) => tensors.map((t, i) => ({ name: names[i], shape: t.shape }));
  const found = { inputs: actual(model.inputNames, model.inputs), outputs: actual(model.outputNames, model.outputs) };
  const expected = { inputs: spec.inputs, outputs: spec.outputs };
  if (JSON.stringify(found) !== JSON.stringify(expected)) {
    throw new Error(`${spec.key}: the model takes and gives ${JSON.stringify(found)}, the catalogue says ${JSON.stringify(expected)}`);
  }
}

/** Saves a LayersModel where the catalogue puts it and returns its manifest entry. */
export async function exportLayersModel(model: LayersModel, modelsDir: string, spec: ModelSpec, training: ModelEntry["training"]): Promise<ModelEntry> {
  checkAgainstCatalogue(model, spec);
  const folder = path.posix.dirname(spec.entry);
  const saved = await saveModelToDir(model, path.join(modelsDir, folder));
  return {
    format: "layers-model",
    entry: spec.entry,
    files: saved.map((f) => ({ ...f, path: `${folder}/${f.path}` })),
    inputs: [...spec.inputs],
    outputs: [...spec.outputs],
    training,
  };
}

/** Writes a data file (codes, PCA components) under `modelsDir` and returns its file entry. */
export async function exportDataFile(modelsDir: string, relativePath: string, data: Uint8Array | string): Promise<FileEntry> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = path.join(modelsDir, relativePath);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileSafely(file, bytes);
  return { path: relativePath, bytes: bytes.length, sha256: await sha256Hex(bytes) };
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
  await writeFileSafely(path.join(modelsDir, MANIFEST), `${JSON.stringify({ ...updated, models: sorted }, null, 2)}\n`);
  return updated;
}

/** Paths as the manifest and the checkpoint record them: relative to the working folder, so no local layout is published. */
export function withRelativePaths<C extends { data: string; testData?: string; initFrom?: string }>(config: C): C {
  const relative = (p: string | undefined) => (p ? path.relative(process.cwd(), p) : p);
  const optional = (key: "testData" | "initFrom") => (config[key] === undefined ? {} : { [key]: relative(config[key]) });
  return { ...config, data: relative(config.data)!, ...optional("testData"), ...optional("initFrom") };
}
