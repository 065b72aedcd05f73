import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { io, type Optimizer } from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { loadModelFromFile, saveModelToDir } from "./model-files";
import { errorMessage } from "../lib/errors";

/**
 * A checkpoint is a folder holding everything needed to go on: the models, the optimizer's moments, and the
 * progress and config of the run (so a resumed run needs no flags repeated). It is written to a temporary folder
 * and swapped in, so an interrupted write leaves the previous checkpoint intact.
 */

export interface RunState<Config> {
  model: string;
  config: Config;
  /** Epochs completed. */
  epoch: number;
  examplesSeen: number;
  /** Training seconds so far, summed over resumed runs. */
  seconds: number;
  backend: string;
  history: Record<string, number>[];
}

const STATE = "state.json";
const OPTIMIZER_WEIGHTS = "optimizer.bin";
const OPTIMIZER_SPECS = "optimizer.json";

export async function saveCheckpoint<Config>(
  dir: string,
  state: RunState<Config>,
  models: Record<string, LayersModel>,
  optimizer: Optimizer,
): Promise<void> {
  const staging = `${dir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const [name, model] of Object.entries(models)) await saveModelToDir(model, path.join(staging, name));
  const { data, specs } = await io.encodeWeights(await optimizer.getWeights());
  await writeFile(path.join(staging, OPTIMIZER_WEIGHTS), new Uint8Array(io.CompositeArrayBuffer.join(data)));
  await writeFile(path.join(staging, OPTIMIZER_SPECS), JSON.stringify(specs));
  await writeFile(path.join(staging, STATE), JSON.stringify(state, null, 2));
  const previous = `${dir}.previous`;
  await rm(previous, { recursive: true, force: true });
  await rename(dir, previous).catch(() => undefined);
  await rename(staging, dir);
  await rm(previous, { recursive: true, force: true });
}

export async function readCheckpointState<Config>(dir: string): Promise<RunState<Config>> {
  try {
    return JSON.parse(await readFile(path.join(dir, STATE), "utf8")) as RunState<Config>;
  } catch (error) {
    throw new Error(`cannot resume: no readable checkpoint in ${dir} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
}

/** Copies the checkpoint's weights into freshly built models and restores the optimizer's state. */
export async function restoreCheckpoint(dir: string, models: Record<string, LayersModel>, optimizer: Optimizer): Promise<void> {
  try {
    for (const [name, model] of Object.entries(models)) {
      const saved = await loadModelFromFile(path.join(dir, name, "model.json"));
      model.setWeights(saved.getWeights());
      saved.dispose();
    }
    const data = await readFile(path.join(dir, OPTIMIZER_WEIGHTS));
    const specs = JSON.parse(await readFile(path.join(dir, OPTIMIZER_SPECS), "utf8")) as io.WeightsManifestEntry[];
    const named = io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, specs);
    const weights = specs.map((s) => ({ name: s.name, tensor: named[s.name] }));
    await optimizer.setWeights(weights);
  } catch (error) {
    // A missing or truncated file, or weights of another architecture (e.g. --filters changed on resume).
    throw new Error(`cannot resume from ${dir}: ${errorMessage(error)}`);
  }
}
