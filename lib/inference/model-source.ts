import type { io } from "@tensorflow/tfjs-core";
import { type FileEntry, type Manifest, type ModelEntry, parseManifest } from "../manifest";
import { sha256Hex } from "./sha256";

/**
 * Fetching models in the browser (or a worker) from the app's `/api/models` route or a Blob store with the same
 * layout: the manifest first (revalidated every time), then each file at a URL keyed by its sha256 (cached
 * forever), checked against that sha256 before tfjs sees it. A model replaced while we download (training
 * exports files, then the manifest) shows up as a mismatch, and the download starts again from a fresh manifest.
 */

export class ModelIntegrityError extends Error {}

export function manifestUrl(base: string): string {
  return `${base.replace(/\/$/, "")}/manifest.json`;
}

export function fileUrl(base: string, file: FileEntry): string {
  return `${base.replace(/\/$/, "")}/${file.path}?v=${file.sha256}`;
}

export async function fetchManifest(base: string): Promise<Manifest> {
  const response = await fetch(manifestUrl(base), { cache: "no-cache" });
  if (!response.ok) throw new Error(`could not fetch the model manifest (HTTP ${response.status})`);
  return parseManifest(await response.json());
}

export function modelBytes(entry: ModelEntry): number {
  return entry.files.reduce((sum, f) => sum + f.bytes, 0);
}

/** Fetches one file the manifest lists (a model file or an artifact such as precomputed codes), checked against its sha256. */
export async function fetchVerified(base: string, file: FileEntry): Promise<ArrayBuffer> {
  const response = await fetch(fileUrl(base, file));
  if (!response.ok) throw new ModelIntegrityError(`${file.path}: HTTP ${response.status}`);
  const data = await response.arrayBuffer();
  const digest = await sha256Hex(data);
  if (data.byteLength !== file.bytes || digest !== file.sha256) {
    throw new ModelIntegrityError(`${file.path}: expected sha256 ${file.sha256.slice(0, 12)}…, got ${digest.slice(0, 12)}…`);
  }
  return data;
}

export interface LoadedArtifacts {
  name: string;
  entry: ModelEntry;
  artifacts: io.ModelArtifacts;
}

/**
 * Builds one LayersModel's artifacts from the manifest, reading each file through `read` (which must check the
 * bytes against the entry's sha256): a fetch in the browser, the model storage on the server.
 */
export async function modelArtifacts(
  manifest: Manifest,
  name: string,
  read: (file: FileEntry) => Promise<ArrayBuffer | Uint8Array>,
): Promise<LoadedArtifacts> {
  const entry = manifest.models[name];
  if (!entry) throw new Error(`the manifest has no model "${name}"`);
  if (entry.format !== "layers-model") throw new Error(`model "${name}" is not a LayersModel`);
  const byPath = new Map(entry.files.map((f) => [f.path, f]));
  const jsonFile = byPath.get(entry.entry);
  if (!jsonFile) throw new Error(`model "${name}": ${entry.entry} is not among its files`);
  const modelJson = JSON.parse(new TextDecoder().decode(await read(jsonFile))) as io.ModelJSON;
  const dir = entry.entry.includes("/") ? entry.entry.slice(0, entry.entry.lastIndexOf("/") + 1) : "";
  const shards = (modelJson.weightsManifest ?? []).flatMap((group) => group.paths).map((p) => {
    const file = byPath.get(dir + p);
    if (!file) throw new ModelIntegrityError(`model "${name}": weight file ${dir + p} is not in the manifest`);
    return file;
  });
  const buffers = await Promise.all(shards.map(read));
  const total = buffers.reduce((sum, b) => sum + b.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b instanceof Uint8Array ? b : new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  const artifacts: io.ModelArtifacts = {
    modelTopology: modelJson.modelTopology,
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
    weightSpecs: (modelJson.weightsManifest ?? []).flatMap((group) => group.weights),
    weightData: weightData.buffer,
    userDefinedMetadata: modelJson.userDefinedMetadata,
  };
  return { name, entry, artifacts };
}

/** Downloads and checks one LayersModel's files; returns tfjs model artifacts ready for loadLayersModel. */
export function fetchModelArtifacts(base: string, manifest: Manifest, name: string): Promise<LoadedArtifacts> {
  return modelArtifacts(manifest, name, (file) => fetchVerified(base, file));
}

/** Fetches the manifest and the named models; starts over once with a fresh manifest if a file changed meanwhile. */
export async function fetchModels(base: string, names: string[]): Promise<{ manifest: Manifest; models: LoadedArtifacts[] }> {
  for (let attempt = 0; ; attempt++) {
    const manifest = await fetchManifest(base);
    try {
      return { manifest, models: await Promise.all(names.map((n) => fetchModelArtifacts(base, manifest, n))) };
    } catch (error) {
      if (!(error instanceof ModelIntegrityError) || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
  }
}
