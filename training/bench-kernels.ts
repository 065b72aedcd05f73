/**
 * Benchmarks the wasm training-kernel overrides against the cpu backend and the stock wasm kernels.
 *
 *   npx tsx training/bench-kernels.ts
 *
 * Prints one table of single-kernel timings (the three kernels the overrides replace, at shapes from the benchmark
 * model and from a dense layer) and one of full training steps of a small conv autoencoder (64x64x3, batch 16).
 * The stock wasm backend has no Conv2DBackpropFilter kernel, so it cannot run a conv training step at all.
 * Stock wasm is measured first because registering the overrides cannot be undone in one process.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmTrainingKernels } from "./kernels/wasm-overrides";

const BATCH = 16;
const IMAGE_SIZE = 64;
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

function buildAutoencoder(): tf.LayersModel {
  const conv = (filters: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: "same", activation: "relu" });
  const deconv = (filters: number, activation: "relu" | "sigmoid") =>
    tf.layers.conv2dTranspose({ filters, kernelSize: 3, strides: 2, padding: "same", activation });
  return tf.sequential({
    layers: [
      tf.layers.inputLayer({ inputShape: [IMAGE_SIZE, IMAGE_SIZE, 3] }),
      conv(32),
      conv(64),
      deconv(32, "relu"),
      deconv(3, "sigmoid"),
    ],
  });
}

async function timeTrainingStep(): Promise<number> {
  const model = buildAutoencoder();
  const optimizer = tf.train.adam(1e-3);
  const images = tf.randomUniform([BATCH, IMAGE_SIZE, IMAGE_SIZE, 3]);
  const ms = await meanMilliseconds(async () => {
    const loss = optimizer.minimize(() => tf.losses.meanSquaredError(images, model.apply(images) as tf.Tensor), true);
    await loss?.data();
    loss?.dispose();
  });
  images.dispose();
  optimizer.dispose();
  model.dispose();
  return ms;
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
  const stepResults = new Map<Setup, number | Error>();
  for (const setup of SETUPS) {
    if (setup === "wasm + overrides") registerWasmTrainingKernels();
    await tf.setBackend(backendOf(setup));
    const results: (number | Error)[] = [];
    for (const kernelCase of KERNEL_CASES) results.push(await measure(() => timeKernel(kernelCase)));
    kernelResults.set(setup, results);
    stepResults.set(setup, await measure(timeTrainingStep));
    console.error(`measured ${setup}`);
  }

  console.log(`Kernels (batch ${BATCH}, mean of >= ${MIN_RUNS} runs and >= ${MIN_SECONDS} s after a warm-up run)\n`);
  printTable(
    ["kernel", ...SETUPS],
    KERNEL_CASES.map((kernelCase, i) => [kernelCase.label, ...SETUPS.map((s) => formatMs(kernelResults.get(s)![i]))]),
  );

  console.log(`Training step: conv 32 s2, conv 64 s2, deconv 32 s2, deconv 3 s2 (3x3, same), ` +
    `${IMAGE_SIZE}x${IMAGE_SIZE}x3, batch ${BATCH}, Adam\n`);
  printTable(
    ["setup", "step", "images/s"],
    SETUPS.map((setup) => {
      const result = stepResults.get(setup)!;
      return [setup, formatMs(result), result instanceof Error ? "-" : ((BATCH * 1000) / result).toFixed(1)];
    }),
  );
}

await main();
