import type { io } from "@tensorflow/tfjs-core";
import type { FileEntry, Manifest, ModelEntry } from "./manifest";

/**
 * A LayersModel's files, as the manifest lists them, turned into the artifacts tfjs loads: the same in the
 * browser (files fetched) and on the server (files from the model storage). Every read checks the bytes against
 * the manifest's sha256, so tfjs never sees a file that is not the one the manifest names.
 */

/** A file did not match the manifest: missing, changed, or a model being replaced while it was read. */
export class ModelIntegrityError extends Error {
  override name = "ModelIntegrityError";
}

export interface LoadedArtifacts {
  name: string;
  entry: ModelEntry;
  artifacts: io.ModelArtifacts;
}

/** Builds one LayersModel's artifacts, reading each file through `read`, which must check it against its sha256. */
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
