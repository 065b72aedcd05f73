import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { io, type Optimizer, scalar, type Variable } from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { RandomState } from "../lib/random";
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
  /** Set when the run stopped inside an epoch (epoch `epoch + 1`): where a resumed run goes on from. */
  position?: EpochPosition;
}

/** How far a run got inside an epoch, so that a resumed run goes on from the very next batch. */
export interface EpochPosition {
  /** Examples of the epoch already trained on, in its shuffled order. */
  done: number;
  /** The epoch's random source after them (augmentation, noise, sampling). */
  random: RandomState;
  /** The loss terms summed over them, for the epoch's record. */
  sums: Record<string, number>;
}

const STATE = "state.json";
const OPTIMIZER_WEIGHTS = "optimizer.bin";
const OPTIMIZER_SPECS = "optimizer.json";
const RUNNING_PRODUCTS = "optimizer-running-products.json";

/**
 * Adam's bias corrections beta1^t and beta2^t, which tfjs keeps as running float32 products (its `accBeta1`,
 * `accBeta2`) but leaves out of getWeights: setWeights recomputes them as powers, which differ from the products in
 * their last bits, enough for a resumed run to drift from one never stopped. So they are saved and put back as
 * they were. Checkpoints from before this file existed resume with the recomputed powers.
 */
function runningProducts(optimizer: Optimizer): [string, Variable][] {
  const fields = optimizer as unknown as Record<string, Variable | undefined>;
  return ["accBeta1", "accBeta2"].flatMap((name) => (typeof fields[name]?.assign === "function" ? [[name, fields[name]] as [string, Variable]] : []));
}

const staging = (dir: string) => `${dir}.partial`;
const previous = (dir: string) => `${dir}.previous`;

/**
 * Writes the checkpoint into `<dir>.partial` (state.json last, so a staging folder with a readable state.json is
 * complete), then swaps it in: `<dir>` becomes `<dir>.previous`, the staging folder becomes `<dir>`, and the
 * previous one is removed. A crash leaves `<dir>` intact, or between the two renames only the other two folders,
 * which readCheckpointState recovers from.
 */
export async function saveCheckpoint<Config>(
  dir: string,
  state: RunState<Config>,
  models: Record<string, LayersModel>,
  optimizer: Optimizer,
): Promise<void> {
  const next = staging(dir);
  await rm(next, { recursive: true, force: true });
  await mkdir(next, { recursive: true });
  for (const [name, model] of Object.entries(models)) await saveModelToDir(model, path.join(next, name));
  const { data, specs } = await io.encodeWeights(await optimizer.getWeights());
  await writeFile(path.join(next, OPTIMIZER_WEIGHTS), new Uint8Array(io.CompositeArrayBuffer.join(data)));
  await writeFile(path.join(next, OPTIMIZER_SPECS), JSON.stringify(specs));
  const products = Object.fromEntries(runningProducts(optimizer).map(([name, variable]) => [name, variable.dataSync()[0]]));
  await writeFile(path.join(next, RUNNING_PRODUCTS), JSON.stringify(products));
  await writeFile(path.join(next, STATE), JSON.stringify(state, null, 2));
  await rm(previous(dir), { recursive: true, force: true });
  await rename(dir, previous(dir)).catch(() => undefined);
  await rename(next, dir);
  await rm(previous(dir), { recursive: true, force: true });
}

async function readState<Config>(dir: string): Promise<RunState<Config>> {
  return JSON.parse(await readFile(path.join(dir, STATE), "utf8")) as RunState<Config>;
}

const exists = (file: string) => stat(file).then(() => true, () => false);

/**
 * The checkpoint's state. Where a crash inside the swap left no `<dir>`, the swap is finished first: the staging
 * folder when it is complete (a readable state.json), else the previous checkpoint; `log` says which.
 */
export async function readCheckpointState<Config>(dir: string, log: (line: string) => void = () => {}): Promise<RunState<Config>> {
  if (!(await exists(dir))) {
    for (const candidate of [staging(dir), previous(dir)]) {
      if (!(await readState(candidate).then(() => true, () => false))) continue;
      await rename(candidate, dir);
      log(`recovered the checkpoint from ${candidate} (a run stopped while it was writing one)`);
      break;
    }
  }
  try {
    return await readState<Config>(dir);
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
    const products: Record<string, number> = await readFile(path.join(dir, RUNNING_PRODUCTS), "utf8").then(JSON.parse, () => ({}));
    for (const [name, variable] of runningProducts(optimizer)) if (name in products) variable.assign(scalar(products[name]));
  } catch (error) {
    // A missing or truncated file, or weights of another architecture (e.g. --filters changed on resume).
    throw new Error(`cannot resume from ${dir}: ${errorMessage(error)}`);
  }
}
