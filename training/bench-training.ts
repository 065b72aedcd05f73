/**
 * Training throughput on this machine, and how far it is from what the hardware allows.
 *
 *   npm run bench:training
 *
 * Prints these tables: single-kernel timings of the three kernels the wasm overrides replace (cpu, stock wasm,
 * wasm with the overrides); images per second of a real training step of the shipped models (`dae`, `vae`: the
 * same step code the training CLI runs, on random data) on each setup; and the floor: each model's FLOPs per
 * image, the machine's measured peak (a large matrix product on one wasm thread, the kernel our convolutions
 * become), and the measured throughput as a fraction of what that peak allows; then, where a Python with PyTorch
 * is installed, the same models trained by PyTorch on this machine (training/yardstick.py). The stock wasm backend has no
 * Conv2DBackpropFilter kernel, so it cannot train the DAE at all. Stock wasm is measured before the overrides
 * because registering them cannot be undone in one process.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { DIGIT_PIXELS, FACE_SIDE } from "../lib/catalogue";
import { createRandom } from "../lib/random";
import { registerWasmTrainingKernels } from "./kernels/wasm-overrides";
import type { BackendName } from "./backend";
import { localStepper, parallelStepper } from "./data-parallel";
import type { AnyGradientTask } from "./tasks";
import { daeTask } from "./tasks/faces";
import { vaeTask } from "./tasks/mnist";

const BATCH = 16;
const MIN_RUNS = 2;
const MIN_SECONDS = 2;

type Setup = "cpu" | "wasm stock" | "wasm + overrides";
const SETUPS: Setup[] = ["cpu", "wasm stock", "wasm + overrides"];

interface KernelCase {
  label: string;
  kernelName: string;
  inputShapes: Record<string, number[]>;
  attrs: object;
}

const CONV_ATTRS = { strides: 2, pad: "same", dataFormat: "NHWC" };

const KERNEL_CASES: KernelCase[] = [
  {
    label: "Conv2DBackpropFilter 3x3 s2 32->64 @32x32",
    kernelName: "Conv2DBackpropFilter",
    inputShapes: { x: [BATCH, 32, 32, 32], dy: [BATCH, 16, 16, 64] },
    attrs: { ...CONV_ATTRS, filterShape: [3, 3, 32, 64] },
  },
  {
    label: "Conv2DBackpropInput 3x3 s2 64->32 @32x32",
    kernelName: "Conv2DBackpropInput",
    inputShapes: { dy: [BATCH, 16, 16, 64], filter: [3, 3, 32, 64] },
    attrs: { ...CONV_ATTRS, inputShape: [BATCH, 32, 32, 32] },
  },
  {
    label: "BatchMatMul A^T B  [784x16]^T [16x512]",
    kernelName: "BatchMatMul",
    inputShapes: { a: [1, BATCH, 784], b: [1, BATCH, 512] },
    attrs: { transposeA: true, transposeB: false },
  },
  {
    label: "BatchMatMul A B^T  [16x512] [784x512]^T",
    kernelName: "BatchMatMul",
    inputShapes: { a: [1, BATCH, 512], b: [1, 784, 512] },
    attrs: { transposeA: false, transposeB: true },
  },
];

function backendOf(setup: Setup): "cpu" | "wasm" {
  return setup === "cpu" ? "cpu" : "wasm";
}

/** Runs `step` until MIN_RUNS runs and MIN_SECONDS have passed (after one warm-up run); returns the mean ms. */
async function meanMilliseconds(step: () => Promise<void>): Promise<number> {
  await step();
  let runs = 0;
  const start = performance.now();
  while (runs < MIN_RUNS || performance.now() - start < MIN_SECONDS * 1000) {
    await step();
    runs++;
  }
  return (performance.now() - start) / runs;
}

async function timeKernel(kernelCase: KernelCase): Promise<number> {
  const inputs = Object.fromEntries(
    Object.entries(kernelCase.inputShapes).map(([name, shape]) => [name, tf.randomNormal(shape)]),
  );
  const ms = await meanMilliseconds(async () => {
    const output = tf.engine().runKernel(kernelCase.kernelName, inputs, kernelCase.attrs as tf.NamedAttrMap);
    await (output as tf.Tensor).data();
    tf.dispose(output as tf.Tensor);
  });
  tf.dispose(Object.values(inputs));
  return ms;
}

interface ModelCase {
  name: string;
  /** Examples per step: the CLI's default, smaller on the cpu backend, where a DAE step at 32 takes minutes. */
  batch: (setup: Setup) => number;
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

const MODEL_CASES: ModelCase[] = [
  {
    name: daeTask.run.name,
    batch: (setup) => (setup === "cpu" ? 4 : daeTask.defaults.batchSize),
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
async function timeTrainingStep(modelCase: ModelCase, batch: number, threads = 1): Promise<number> {
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
    return await meanMilliseconds(async () => void (await stepper.step(run.batch(indices, random))));
  } finally {
    await stepper.close();
    optimizer.dispose();
    for (const model of Object.values(replica.models)) model.dispose();
  }
}

/**
 * Forward FLOPs (2 per multiply-add) of one example through a chain of conv, transposed conv and dense layers,
 * from their kernels' shapes; the spatial size follows the strides ("same" padding). Training costs about three
 * times the forward pass (forward, gradient by input, gradient by weights).
 */
function forwardFlops(models: LayersModel[], inputSize: number): number {
  let flops = 0;
  let size = inputSize;
  for (const model of models) {
    for (const layer of model.layers) {
      const kernel = layer.getWeights()[0]?.shape as [number, number, number, number] | undefined;
      const config = layer.getConfig() as { strides?: number[] };
      const stride = config.strides?.[0] ?? 1;
      if (layer.getClassName() === "Conv2D" && kernel) {
        size = Math.ceil(size / stride);
        flops += 2 * size * size * kernel[0] * kernel[1] * kernel[2] * kernel[3];
      } else if (layer.getClassName() === "Conv2DTranspose" && kernel) {
        flops += 2 * size * size * kernel[0] * kernel[1] * kernel[2] * kernel[3];
        size *= stride;
      } else if (layer.getClassName() === "Dense" && kernel) {
        flops += 2 * kernel[0] * kernel[1];
      }
    }
  }
  return flops;
}

/** GFLOP/s of a 1024x1024x1024 matrix product: the best rate these kernels reach on this machine's backend. */
async function peakGflops(): Promise<number> {
  const n = 1024;
  const [a, b] = [tf.randomNormal([n, n]), tf.randomNormal([n, n])];
  const ms = await meanMilliseconds(async () => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  });
  tf.dispose([a, b]);
  return (2 * n ** 3) / (ms * 1e6);
}

async function measure(timer: () => Promise<number>): Promise<number | Error> {
  try {
    return await timer();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function formatMs(result: number | Error): string {
  return result instanceof Error ? `fails: ${result.message.split("\n")[0].slice(0, 80)}` : `${result.toFixed(1)} ms`;
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const row of rows) console.log(line(row));
  console.log();
}

async function main(): Promise<void> {
  const kernelResults = new Map<Setup, (number | Error)[]>();
  const stepResults = new Map<Setup, (number | Error)[]>();
  let peak = NaN;
  for (const setup of SETUPS) {
    if (setup === "wasm + overrides") registerWasmTrainingKernels();
    await tf.setBackend(backendOf(setup));
    const results: (number | Error)[] = [];
    for (const kernelCase of KERNEL_CASES) results.push(await measure(() => timeKernel(kernelCase)));
    kernelResults.set(setup, results);
    const steps: (number | Error)[] = [];
    for (const modelCase of MODEL_CASES) steps.push(await measure(() => timeTrainingStep(modelCase, modelCase.batch(setup))));
    stepResults.set(setup, steps);
    if (setup === "wasm + overrides") peak = await peakGflops();
    console.error(`measured ${setup}`);
  }

  console.log(`Kernels (batch ${BATCH}, mean of >= ${MIN_RUNS} runs and >= ${MIN_SECONDS} s after a warm-up run)\n`);
  printTable(
    ["kernel", ...SETUPS],
    KERNEL_CASES.map((kernelCase, i) => [kernelCase.label, ...SETUPS.map((s) => formatMs(kernelResults.get(s)![i]))]),
  );

  const imagesPerSecond = (setup: Setup, i: number) => {
    const result = stepResults.get(setup)![i];
    return result instanceof Error ? result : (MODEL_CASES[i].batch(setup) * 1000) / result;
  };
  console.log("Training throughput, images/s (one Adam step of the training CLI's own step code; batch in brackets)\n");
  printTable(
    ["model", ...SETUPS],
    MODEL_CASES.map((modelCase, i) => [
      modelCase.name,
      ...SETUPS.map((setup) => {
        const rate = imagesPerSecond(setup, i);
        return rate instanceof Error ? formatMs(rate) : `${rate < 1 ? rate.toPrecision(2) : rate.toFixed(1)} (${modelCase.batch(setup)})`;
      }),
    ]),
  );

  console.log(`The floor: peak ${peak.toFixed(1)} GFLOP/s (1024^3 matrix product, wasm, one thread); training = 3x forward FLOPs\n`);
  const rows: string[][] = [];
  for (const [i, modelCase] of MODEL_CASES.entries()) {
    const { models } = modelCase.task.replica(modelCase.task.defaults);
    const forward = forwardFlops(Object.values(models), modelCase.inputSize) / 1e9;
    for (const model of Object.values(models)) model.dispose();
    const rate = imagesPerSecond("wasm + overrides", i);
    const floor = peak / (3 * forward);
    rows.push([
      modelCase.name,
      forward.toFixed(4),
      (3 * forward).toFixed(4),
      floor.toFixed(0),
      rate instanceof Error ? "-" : rate.toFixed(1),
      rate instanceof Error ? "-" : `${((100 * rate) / floor).toFixed(0)}%`,
    ]);
  }
  printTable(["model", "forward GFLOP/image", "training GFLOP/image", "images/s at peak", "measured (wasm + overrides)", "of peak"], rows);
  await printScaling();
  printYardstick(MODEL_CASES.map((c, i) => [c.name, imagesPerSecond("wasm + overrides", i)]));
}

/**
 * Data-parallel scaling (`--workers`): images/s of the same step on 1 to every core's worth of threads, wasm with
 * the overrides, and the speed-up over one thread.
 */
async function printScaling(): Promise<void> {
  const counts = Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  console.log(`Data-parallel training (--workers N), wasm + overrides, images/s (speed-up over 1); ${availableParallelism()} cores here\n`);
  const rows: string[][] = [];
  for (const modelCase of MODEL_CASES) {
    const batch = modelCase.batch("wasm + overrides");
    const rates: number[] = [];
    for (const threads of counts) rates.push((batch * 1000) / (await timeTrainingStep(modelCase, batch, threads)));
    rows.push([`${modelCase.name} (batch ${batch})`, ...rates.map((rate) => `${rate.toFixed(1)} (${(rate / rates[0]).toFixed(2)}x)`)]);
  }
  printTable(["model", ...counts.map((n) => `${n} worker${n === 1 ? "" : "s"}`)], rows);
}

interface YardstickResult {
  model: string;
  device: string;
  threads: number | null;
  images_per_second: number;
}

/** PyTorch on the same machine (training/yardstick.py), where a Python with torch is found. */
function printYardstick(ours: [string, number | Error][]): void {
  const script = path.join(import.meta.dirname, "yardstick.py");
  for (const python of ["python3", "/usr/bin/python3"]) {
    const run = spawnSync(python, [script], { encoding: "utf8", timeout: 600_000 });
    if (run.status !== 0) continue;
    const { torch, results } = JSON.parse(run.stdout) as { torch: string; results: YardstickResult[] };
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

await main();
