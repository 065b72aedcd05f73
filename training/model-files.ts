import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { io } from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import writeFileAtomic from "write-file-atomic";
import { sha256Hex } from "../lib/sha256";

/**
 * Saving and loading LayersModels on the local disk in Node without tfjs-node (whose `file://` handler is the only
 * one tfjs has for disk, and which cannot be installed everywhere). The files are exactly the ones tfjs writes and
 * `tf.loadLayersModel(url)` reads over HTTP: `model.json` plus binary weight shards.
 */

/** Shard size used by tfjs' converter: small enough for HTTP caches and serverless payload limits. */
const SHARD_BYTES = 4 * 1024 * 1024;

export interface SavedFile {
  /** Path relative to the folder the model was saved in. */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Writes through a temporary name (write-file-atomic), so that a crash never leaves half a file behind: a reader
 * finds the old file or the new one. The package takes any typed array; its published types say Buffer.
 */
export function writeFileSafely(file: string, data: Uint8Array | string): Promise<void> {
  return writeFileAtomic(file, typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

function shardWeights(weightData: io.WeightData): Uint8Array[] {
  const all = new Uint8Array(io.CompositeArrayBuffer.join(weightData));
  const shards: Uint8Array[] = [];
  for (let start = 0; start < all.length; start += SHARD_BYTES) shards.push(all.subarray(start, start + SHARD_BYTES));
  return shards;
}

function fileSystemSaveHandler(dir: string, saved: SavedFile[]): io.IOHandler {
  return {
    async save(artifacts: io.ModelArtifacts): Promise<io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error("binary model topologies are not supported");
      await mkdir(dir, { recursive: true });
      const shards = artifacts.weightData ? shardWeights(artifacts.weightData) : [];
      const shardNames = shards.map((_, i) => `group1-shard${i + 1}of${shards.length}.bin`);
      const modelJson: io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: shardNames, weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      const json = new TextEncoder().encode(JSON.stringify(modelJson));
      const files: [string, Uint8Array][] = [...shards.map((s, i) => [shardNames[i], s] as [string, Uint8Array]), ["model.json", json]];
      // Shards first, model.json last: a reader never finds a model.json whose shards are not there yet.
      for (const [name, data] of files) {
        await writeFileSafely(path.join(dir, name), data);
        saved.push({ path: name, bytes: data.length, sha256: await sha256Hex(data) });
      }
      return { modelArtifactsInfo: io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** Saves `model` as `dir/model.json` + `dir/group1-shard*.bin`; returns each file with its size and sha256. */
export async function saveModelToDir(model: LayersModel, dir: string): Promise<SavedFile[]> {
  const saved: SavedFile[] = [];
  await model.save(fileSystemSaveHandler(dir, saved));
  return saved;
}

export function fileSystemLoadHandler(modelJsonPath: string): io.IOHandler {
  const dir = path.dirname(modelJsonPath);
  return {
    async load(): Promise<io.ModelArtifacts> {
      const modelJson = JSON.parse(await readFile(modelJsonPath, "utf8")) as io.ModelJSON;
      return io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const buffers = await Promise.all(
          manifest.flatMap((group) => group.paths).map(async (p) => {
            const data = await readFile(path.join(dir, p));
            return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
          }),
        );
        return [specs, buffers];
      });
    },
  };
}

/** Loads a LayersModel from a `model.json` on disk (weights from the shards beside it). */
export function loadModelFromFile(modelJsonPath: string): Promise<LayersModel> {
  return loadLayersModel(fileSystemLoadHandler(modelJsonPath));
}
