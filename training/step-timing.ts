import { spawnSync } from "node:child_process";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS, FACE_SIDE } from "../lib/catalogue";
import { createRandom } from "../lib/random";
import type { BackendName } from "./backend";
import { localStepper, parallelStepper } from "./data-parallel";
import type { AnyGradientTask } from "./tasks";
import { daeTask } from "./tasks/faces";
import { vaeTask } from "./tasks/mnist";

/**
 * Timing a training step of the shipped models on whatever backend is active, for `npm run bench:training` and
 * `npm run check:gpu`; and PyTorch's time for the same step (training/yardstick.py), where PyTorch is installed.
 */

export const MIN_RUNS = 2;
export const MIN_SECONDS = 2;

/** How long to time a step: warm-up runs first (untimed), then at least `seconds` and MIN_RUNS runs. */
export interface Timing {
  warmUps: number;
  seconds: number;
}

const QUICK: Timing = { warmUps: 1, seconds: MIN_SECONDS };

/** Runs `step` `timing.warmUps` times, then until MIN_RUNS runs and `timing.seconds` have passed; the mean ms. */
export async function meanMilliseconds(step: () => Promise<void>, timing: Timing = QUICK): Promise<number> {
  for (let i = 0; i < timing.warmUps; i++) await step();
  let runs = 0;
  const start = performance.now();
  while (runs < MIN_RUNS || performance.now() - start < timing.seconds * 1000) {
    await step();
    runs++;
  }
  return (performance.now() - start) / runs;
}

export interface ModelCase {
  name: string;
  /** Examples per step on a backend: the CLI's default, smaller on cpu, where a DAE step at 32 takes minutes. */
  batch: (backend: string) => number;
  task: AnyGradientTask;
  /** The task's data, made of random bytes of the right shape. */
  data: () => unknown;
  /** Input shape of one example, for the FLOP count. */
  inputSize: number;
}

/** Random stand-ins for the data: the step's cost does not depend on the pixel values. */
function randomBytes(length: number, seed: number): Uint8Array {
  const random = createRandom(seed);
  return Uint8Array.from({ length }, () => Math.floor(random.uniform() * 256));
}

export const MODEL_CASES: ModelCase[] = [
  {
    name: daeTask.run.name,
    batch: (backend) => (backend === "cpu" ? 4 : daeTask.defaults.batchSize),
    task: daeTask as unknown as AnyGradientTask,
    inputSize: FACE_SIDE,
    data: () => {
      const faces = { pixels: randomBytes(256 * FACE_SIDE * FACE_SIDE * 3, 1), count: 256, size: FACE_SIDE, source: "random" };
      return { faces, heldOut: faces };
    },
  },
  {
    name: vaeTask.run.name,
    batch: () => vaeTask.defaults.batchSize,
    task: vaeTask as unknown as AnyGradientTask,
    inputSize: 0,
    data: () => {
      const split = { images: randomBytes(1024 * DIGIT_PIXELS, 2).map((v) => (v > 200 ? 255 : 0)), labels: new Uint8Array(1024), count: 1024 };
      return { train: split, test: split };
    },
  },
];

/** Mean ms of one training step (the CLI's own step: batch, gradients on `threads` threads, Adam) at `batch`. */
export async function timeTrainingStep(modelCase: ModelCase, batch: number, threads = 1, timing: Timing = QUICK): Promise<number> {
  const { task } = modelCase;
  const config = task.defaults;
  const replica = task.replica(config);
  const optimizer = tf.train.adam(config.learningRate);
  const run = task.prepare(config, modelCase.data(), replica, { backend: tf.getBackend(), log: () => {} });
  const backend = tf.getBackend() as BackendName;
  const stepper = threads > 1 ? await parallelStepper(replica, optimizer, threads, { run: task.run.name, config, backend }) : localStepper(replica, optimizer);
  const random = createRandom(3);
  const indices = Int32Array.from({ length: batch }, (_, i) => i);
  try {
    return await meanMilliseconds(async () => void (await stepper.step(run.batch(indices, random))), timing);
  } finally {
    await stepper.close();
    optimizer.dispose();
    for (const model of Object.values(replica.models)) model.dispose();
  }
}

export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  console.log();
}

export interface YardstickResult {
  model: string;
  device: string;
  threads: number | null;
  images_per_second: number;
}

export interface Yardstick {
  torch: string;
  python: string;
  results: YardstickResult[];
}

/** PyTorch's images/s for the same models and step on this machine (training/yardstick.py), or null without PyTorch. */
export function runYardstick(): Yardstick | null {
  const script = path.join(import.meta.dirname, "yardstick.py");
  for (const python of ["python3", "/usr/bin/python3"]) {
    const run = spawnSync(python, [script], { encoding: "utf8", timeout: 600_000 });
    if (run.status === 0) return { python, ...(JSON.parse(run.stdout) as Omit<Yardstick, "python">) };
  }
  return null;
}

/** Our images/s on one wasm thread beside PyTorch's on this machine's CPU (and GPU, where it has one). */
export function printYardstick(ours: [string, number | Error][]): void {
  const yardstick = runYardstick();
  if (yardstick) {
    const { torch, python, results } = yardstick;
    const setupOf = (r: YardstickResult) => `${r.device}${r.threads ? `, ${r.threads} thread${r.threads > 1 ? "s" : ""}` : ""}`;
    const setups = [...new Set(results.map(setupOf))];
    console.log(`The yardstick: PyTorch ${torch} (${python}), the same architectures and step, images/s\n`);
    printTable(
      ["model", "ours (wasm + overrides, 1 thread)", ...setups.map((s) => `PyTorch ${s}`), "ours / PyTorch 1 thread"],
      ours.map(([model, rate]) => {
        const mine = results.filter((r) => r.model === model);
        const single = mine.find((r) => r.device === "cpu" && r.threads === 1)?.images_per_second;
        const value = rate instanceof Error ? NaN : rate;
        return [
          model,
          Number.isNaN(value) ? "-" : value.toFixed(1),
          ...setups.map((setup) => mine.find((r) => setupOf(r) === setup)?.images_per_second.toFixed(1) ?? "-"),
          single && !Number.isNaN(value) ? `${(value / single).toFixed(2)}x` : "-",
        ];
      }),
    );
    return;
  }
  console.log("The yardstick: no Python with PyTorch here (Debian: apt-get install python3-torch); skipped.");
}

