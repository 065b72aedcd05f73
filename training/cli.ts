/**
 * The training command: `npm run train -- <model> [options]`.
 *
 * Reads top to bottom: parse the flags into a config (task defaults, then a resumed checkpoint's config, then the
 * flags), choose a backend, train with checkpoints, export into models/ and update the manifest.
 */
import { availableParallelism } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import type { Random } from "../lib/random";
import { type BackendName, describeBackend, selectBackend } from "./backend";
import { readCheckpointState, restoreCheckpoint, type RunState } from "./checkpoint";
import { runDataCommand } from "./data/errors";
import { updateManifest, withRelativePaths } from "./export";
import { errorMessage } from "../lib/errors";
import { localStepper, parallelStepper } from "./data-parallel";
import { loadModelFromFile } from "./model-files";
import { trainLoop } from "./loop";
import { DEFAULT_SCHEDULE, LR_SCHEDULES } from "./schedule";
import { type AnyGradientTask, TASKS } from "./tasks";
import type { ClosedFormTask, CommonConfig } from "./tasks/types";

const BACKENDS = ["tensorflow", "webgpu", "wasm", "cpu"] as const satisfies readonly BackendName[];

/** Flag name -> config key, and how to read its value. */
const VALUE_FLAGS = {
  epochs: { key: "epochs", schema: z.coerce.number().int().positive() },
  "batch-size": { key: "batchSize", schema: z.coerce.number().int().positive() },
  lr: { key: "learningRate", schema: z.coerce.number().positive().finite() },
  "lr-schedule": { key: "lrSchedule", schema: z.enum(LR_SCHEDULES) },
  "min-lr": { key: "minLearningRate", schema: z.coerce.number().nonnegative().finite() },
  seed: { key: "seed", schema: z.coerce.number().int().nonnegative() },
  limit: { key: "limit", schema: z.coerce.number().int().nonnegative() },
  "max-minutes": { key: "maxMinutes", schema: z.coerce.number().nonnegative().finite() },
  filters: { key: "filters", schema: z.coerce.number().int().positive() },
  depth: { key: "depth", schema: z.coerce.number().int().nonnegative() },
  downsampling: { key: "downsampling", schema: z.coerce.number().pipe(z.union([z.literal(1), z.literal(2), z.literal(4)])) },
  resample: { key: "resample", schema: z.enum(["conv", "shuffle"]) },
  refine: { key: "refine", schema: z.coerce.number().int().nonnegative() },
  "refine-filters": { key: "refineFilters", schema: z.coerce.number().int().positive() },
  "impulse-marks": { key: "impulseMarks", schema: z.enum(["off", "head", "all"]) },
  "impulse-share": { key: "impulseShare", schema: z.coerce.number().min(0).max(0.85) },
  "train-layers": { key: "trainLayers", schema: z.enum(["all", "refine"]) },
} as const;
const PATH_FLAGS = { data: "data", "test-data": "testData", "init-from": "initFrom" } as const;

const USAGE = `usage: npm run train -- <model> [options]

models:
${Object.entries(TASKS)
  .map(([name, task]) => `  ${name.padEnd(10)} ${task.description}`)
  .join("\n")}

options:
  --epochs N           passes over the training data
  --batch-size N       examples per step
  --lr X               Adam learning rate (the peak, under a schedule)
  --lr-schedule S      ${LR_SCHEDULES.join(" | ")}: cosine decays from --lr to --min-lr over the epochs
  --min-lr X           the cosine schedule's last rate (default ${DEFAULT_SCHEDULE.minLearningRate.toExponential()})
  --data PATH          training data (.npz, .u8, image folder; MNIST: a folder of IDX files, .gz or not)
  --init-from PATH     start from a trained model.json: its weights are copied into the new model in order, as far as
                       their shapes match (a refinement head added to the shipped DAE starts as that DAE; faces)
  --test-data PATH     held-out data for the per-epoch metrics (faces: default 256 faces held out of --data,
                       whole people at a time; the test faces are kept for npm run evaluate)
  --limit N            use only the first N training examples (smoke runs)
  --seed N             seed for initial order, noise and sampling
  --backend NAME       ${BACKENDS.join(" | ")} (default: the first that works, in that order)
  --workers N          threads computing each step's gradients, data-parallel (default: every core, ${availableParallelism()}
                       here, on wasm and cpu; 1 on webgpu and tensorflow, which use the device's own parallelism)
  --out DIR            where exported models and manifest.json go (default: models)
  --checkpoint-dir DIR (default: checkpoints/<model>)
  --resume             go on from the checkpoint (its config, overridden by any flags given)
  --max-minutes M      stop after M minutes of training, checkpoint and export
  --filters N, --depth N, --downsampling N   DAE architecture: the body's channels, 3x3 convolutions, 1/N resolution
  --resample S         conv | shuffle: the way down to the body and back (DAE)
  --refine N, --refine-filters N   a full-resolution refinement head of N 3x3 convolutions, and their channels (DAE)
  --impulse-share X    share of training images with salt-and-pepper or masking noise (DAE; default 0.3)
  --impulse-marks S    off | head | all: the head (or the body too) also sees where the noisy image is exactly 0 or 1 (DAE)
  --train-layers S     all | refine: train only the refinement head, the rest kept as --init-from gave it (DAE)
  -h, --help`;

function parseCommandLine(argv: string[]) {
  const { values: parsed, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...Object.fromEntries([...Object.keys(VALUE_FLAGS), ...Object.keys(PATH_FLAGS)].map((f) => [f, { type: "string" as const }])),
      backend: { type: "string" },
      workers: { type: "string" },
      out: { type: "string" },
      "checkpoint-dir": { type: "string" },
      resume: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const values = parsed as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const [model, ...extra] = positionals;
  if (!model || extra.length > 0) throw new Error(`expected exactly one model name (${Object.keys(TASKS).join(", ")}); see --help`);
  const task = TASKS[model];
  if (!task) throw new Error(`unknown model '${model}': choose one of ${Object.keys(TASKS).join(", ")}`);
  const backend = values.backend as string | undefined;
  if (backend !== undefined && !(BACKENDS as readonly string[]).includes(backend)) {
    throw new Error(`unknown backend '${backend}': choose one of ${BACKENDS.join(", ")}`);
  }
  const overrides: Record<string, number | string> = {};
  for (const [flag, { key, schema }] of Object.entries(VALUE_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (!(key in task.defaults)) throw new Error(`--${flag} does not apply to ${model}`);
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new Error(`--${flag} ${raw}: ${parsed.error.issues[0].message}`);
    overrides[key] = parsed.data;
  }
  for (const [flag, key] of Object.entries(PATH_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    if (!(key in task.defaults)) throw new Error(`--${flag} does not apply to ${model}`);
    overrides[key] = path.resolve(String(raw));
  }
  const workers = values.workers === undefined ? undefined : z.coerce.number().int().positive().max(256).safeParse(values.workers);
  if (workers?.success === false) throw new Error(`--workers ${values.workers}: expected a whole number from 1 to 256`);
  if (workers && task.kind !== "gradient") throw new Error(`--workers does not apply to ${model}: it is fitted in one pass`);
  return {
    model,
    task,
    overrides,
    backend: backend as BackendName | undefined,
    workers: workers?.data,
    modelsDir: path.resolve(String(values.out ?? "models")),
    checkpointDir: path.resolve(String(values["checkpoint-dir"] ?? path.join("checkpoints", model))),
    resume: Boolean(values.resume),
  };
}

const log = (line: string) => console.log(line);

type Options = ReturnType<typeof parseCommandLine>;

async function trainGradientModel(model: string, task: AnyGradientTask, options: Options): Promise<void> {
  const resumed = options.resume ? await readCheckpointState<CommonConfig>(options.checkpointDir, log) : undefined;
  if (resumed && resumed.model !== model) {
    throw new Error(`cannot resume: ${options.checkpointDir} holds a '${resumed.model}' run, not '${model}'`);
  }
  const config = { ...task.defaults, ...resumed?.config, ...options.overrides } as CommonConfig;
  if (config.lrSchedule === "cosine" && config.minLearningRate > config.learningRate) {
    throw new Error(`--min-lr ${config.minLearningRate} is above the learning rate ${config.learningRate}: the cosine schedule decays`);
  }
  const data = await task.loadData(config);
  const backend = await startBackend(options);
  // The checkpoint keeps data paths relative to the project, so it resumes from another clone too.
  const savedConfig = withRelativePaths(config);
  const state: RunState<CommonConfig> = resumed
    ? { ...resumed, config: savedConfig, backend }
    : { model, config: savedConfig, epoch: 0, examplesSeen: 0, seconds: 0, backend, history: [] };
  log(`config: ${JSON.stringify(config)}`);
  const replica = task.replica(config);
  const optimizer = tf.train.adam(config.learningRate);
  const run = task.prepare(config, data, replica, { backend, log });
  const initFrom = (config as { initFrom?: string }).initFrom;
  if (initFrom && !resumed) log(`started from ${initFrom}: ${await initializeFrom(initFrom, Object.values(replica.models))}`);
  if (resumed) {
    await restoreCheckpoint(options.checkpointDir, replica.models, optimizer);
    const where = resumed.position ? `in epoch ${resumed.epoch + 1} after ${resumed.position.done} of its examples` : `after epoch ${resumed.epoch}`;
    log(`resumed from ${options.checkpointDir} ${where} (${resumed.examplesSeen} examples seen)`);
  }
  const threads = options.workers ?? defaultWorkers(backend);
  // The workers build their replicas from the config, and take the (restored) weights with each step's shard.
  const stepper = threads > 1 ? await parallelStepper(replica, optimizer, threads, { run: model, config, backend }) : localStepper(replica, optimizer);
  log(`training ${model} on ${run.examplesPerEpoch} examples with ${threads} worker${threads === 1 ? "" : "s"}; checkpoints in ${options.checkpointDir}`);
  const trainer = { models: replica.models, optimizer, examplesPerEpoch: run.examplesPerEpoch, evaluate: run.evaluate, step: (indices: Int32Array, random: Random) => stepper.step(run.batch(indices, random)) };
  let stop: Awaited<ReturnType<typeof trainLoop>>;
  try {
    stop = await trainLoop(trainer, state, options.checkpointDir, log);
  } finally {
    await stepper.close();
  }
  if (stop === "interrupted") {
    process.exitCode = 130; // the shell's convention for a run ended by Ctrl-C
    return;
  }
  // A run stopped by its time budget exports weights newer than its last epoch's record: score them afresh.
  const metrics = stop === "done" ? withoutCounters(state.history.at(-1) ?? {}) : await run.evaluate();
  const entries = await task.export(replica, data, options.modelsDir, {
    config: { ...savedConfig },
    backend,
    workers: threads,
    seconds: Math.round(state.seconds * 10) / 10,
    examplesSeen: state.examplesSeen,
    epochs: state.epoch,
    trainedAt: new Date().toISOString(),
    metrics,
  });
  await updateManifest(options.modelsDir, entries);
  log(`exported ${Object.keys(entries).join(", ")} to ${options.modelsDir} (${state.examplesSeen} examples seen, ${state.seconds.toFixed(0)} s)`);
}

async function fitClosedFormModel(task: ClosedFormTask<unknown>, options: Options): Promise<void> {
  const config = { ...task.defaults, ...options.overrides } as ClosedFormTask<unknown>["defaults"];
  const data = await task.loadData(config);
  const backend = await startBackend(options);
  const entries = await task.fitAndExport(config, data, options.modelsDir, { backend, log });
  await updateManifest(options.modelsDir, entries);
  log(`exported ${Object.keys(entries).join(", ")} to ${options.modelsDir}`);
}

/**
 * Copies a trained model's weights into `models` (one, the run's only model) layer by layer in order, as long as
 * they fit (see fitted): a new model whose first layers are the trained one's starts with what it learned. Layer by
 * layer, because a model's flat weight list puts its trainable weights first (--train-layers changes the order).
 * Says how much was copied.
 */
async function initializeFrom(file: string, models: tf.LayersModel[]): Promise<string> {
  if (models.length !== 1) throw new Error("--init-from applies to a run of one model");
  const trained = await loadModelFromFile(file).catch((error: unknown) => {
    throw new Error(`--init-from ${file}: ${errorMessage(error)}`);
  });
  const weighted = (model: tf.LayersModel) => model.layers.filter((layer) => layer.weights.length > 0);
  const [sources, targets] = [weighted(trained), weighted(models[0])];
  let copied = 0;
  while (copied < Math.min(sources.length, targets.length)) {
    const weights = fitted(sources[copied].getWeights(), targets[copied].getWeights().map((w) => w.shape));
    if (!weights) break;
    targets[copied].setWeights(weights);
    tf.dispose(weights);
    copied++;
  }
  trained.dispose();
  if (copied === 0) throw new Error(`--init-from ${file}: its first weights do not fit this model`);
  const values = (layers: tf.layers.Layer[]) => layers.reduce((sum, layer) => sum + layer.countParams(), 0);
  return `${copied} of ${targets.length} layers (${values(targets.slice(0, copied))} of ${values(targets)} weights)`;
}

/**
 * A source layer's weights in a target layer's shapes: the same, or a convolution's kernel widened on its input
 * channels with zeros (a layer that now also sees new inputs at the end, --impulse-marks, answers as before).
 * Null when they do not fit.
 */
function fitted(from: tf.Tensor[], to: number[][]): tf.Tensor[] | null {
  if (from.length !== to.length) return null;
  const widened = (w: tf.Tensor, b: number[]) => {
    const a = w.shape;
    if (a.join() === b.join()) return tf.clone(w);
    const onlyInputsGrew = a.length === 4 && b.length === 4 && a[2] < b[2] && [0, 1, 3].every((d) => a[d] === b[d]);
    return onlyInputsGrew ? tf.pad(w, [[0, 0], [0, 0], [0, b[2] - a[2]], [0, 0]]) : null;
  };
  const weights = from.map((w, i) => widened(w, to[i]));
  if (weights.every((w) => w !== null)) return weights as tf.Tensor[];
  tf.dispose(weights.filter((w) => w !== null));
  return null;
}

/** An epoch's record without its bookkeeping: the loss terms and held-out metrics. */
function withoutCounters(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).filter(([name]) => name !== "epoch" && name !== "lr"));
}

/**
 * Every core on the CPU backends, where each thread adds a share of the work; one on webgpu and tensorflow, which
 * already use the whole device (a GPU, or libtensorflow's own thread pool).
 */
function defaultWorkers(backend: BackendName): number {
  return backend === "wasm" || backend === "cpu" ? availableParallelism() : 1;
}

async function startBackend(options: Options): Promise<BackendName> {
  const backend = await selectBackend(options.backend);
  log(`backend: ${describeBackend(backend)}`);
  return backend;
}

async function main(): Promise<void> {
  const options = parseCommandLine(process.argv.slice(2));
  const { model, task } = options;
  if (task.kind === "closed-form") await fitClosedFormModel(task, options);
  else await trainGradientModel(model, task, options);
}

void runDataCommand(main);
