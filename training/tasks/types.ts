import type { RunSpec } from "../../lib/catalogue";
import type { ModelEntry } from "../../lib/manifest";
import type { Trainer, LoopConfig } from "../loop";

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
  prepare(config: Config, data: Data, context: TrainingContext): Promise<Trainer>;
  /** Writes the trained models (and any data files) under `modelsDir`; returns their manifest entries. */
  export(trainer: Trainer, data: Data, modelsDir: string, training: ModelEntry["training"]): Promise<Record<string, ModelEntry>>;
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
