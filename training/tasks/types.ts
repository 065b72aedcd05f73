import type * as tf from "@tensorflow/tfjs";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import type { RunSpec } from "../../lib/catalogue";
import type { ModelEntry } from "../../lib/manifest";
import type { Random } from "../../lib/random";
import type { TensorData } from "../../lib/run-model";
import type { LoopConfig } from "../loop";

/** Settings every gradient-trained model has; each task adds its own. Plain values, overridable by CLI flags. */
export interface CommonConfig extends LoopConfig {
  /** Training data: a file or folder any loader reads; "" for the task's default. */
  data: string;
  /** Held-out data for the per-epoch metrics; "" for the task's default. */
  testData: string;
  /** Use only the first `limit` training examples (smoke runs); 0 for all. */
  limit: number;
}

export interface TrainingContext {
  backend: string;
  log: (line: string) => void;
}

/**
 * One step's examples, ready for the models: each input's values with its shape, the first dimension the examples.
 * Plain arrays, so that a batch can be split and sent to the workers of `--workers`.
 */
export interface Batch {
  count: number;
  inputs: Record<string, TensorData>;
}

/**
 * A run's models and its loss, built alike on the main thread and in each worker (from the config alone: the
 * same seeded starting weights everywhere).
 */
export interface Replica {
  /** The models the checkpoint holds and the export writes, by folder name. */
  models: Record<string, LayersModel>;
  /** The loss terms of a batch (means over its examples); training minimizes their sum. Called inside a tidy. */
  loss(inputs: Record<string, tf.Tensor>): Record<string, tf.Scalar>;
}

/** What only the main thread does for a run: batches from the data, and the held-out metrics after each epoch. */
export interface TaskRun {
  examplesPerEpoch: number;
  /** The step's batch. Every random choice (augmentation, noise, the VAE's sampling) comes from `random`. */
  batch(indices: Int32Array, random: Random): Batch;
  evaluate(): Promise<Record<string, number>>;
}

/**
 * A model trained by gradient descent. Data is loaded before a backend is chosen, so that a bad data file is
 * reported at once, before any backend starts (and prints) anything.
 */
export interface GradientTask<Config extends CommonConfig, Data> {
  kind: "gradient";
  /** The catalogue's run: its name on the command line, and the models it exports. */
  run: RunSpec;
  description: string;
  defaults: Config;
  loadData(config: Config): Promise<Data>;
  replica(config: Config): Replica;
  prepare(config: Config, data: Data, replica: Replica, context: TrainingContext): TaskRun;
  /** Writes the trained models (and any data files) under `modelsDir`; returns their manifest entries. */
  export(replica: Replica, data: Data, modelsDir: string, training: ModelEntry["training"]): Promise<Record<string, ModelEntry>>;
}

export interface ClosedFormConfig {
  data: string;
  limit: number;
  seed: number;
}

/** A model fitted in one pass (PCA): no epochs, checkpoints or optimizer. */
export interface ClosedFormTask<Data> {
  kind: "closed-form";
  run: RunSpec;
  description: string;
  defaults: ClosedFormConfig;
  loadData(config: ClosedFormConfig): Promise<Data>;
  fitAndExport(config: ClosedFormConfig, data: Data, modelsDir: string, context: TrainingContext): Promise<Record<string, ModelEntry>>;
}
