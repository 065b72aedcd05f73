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
import { availableParallelism } from "node:os";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { registerWasmKernels } from "../lib/wasm-kernels";
import { meanMilliseconds, MIN_RUNS, MIN_SECONDS, MODEL_CASES, printTable, printYardstick, timeTrainingStep } from "./step-timing";

const BATCH = 16;

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

async function main(): Promise<void> {
  const kernelResults = new Map<Setup, (number | Error)[]>();
  const stepResults = new Map<Setup, (number | Error)[]>();
  let peak = NaN;
  for (const setup of SETUPS) {
    if (setup === "wasm + overrides") registerWasmKernels();
    await tf.setBackend(backendOf(setup));
    const results: (number | Error)[] = [];
    for (const kernelCase of KERNEL_CASES) results.push(await measure(() => timeKernel(kernelCase)));
    kernelResults.set(setup, results);
    const steps: (number | Error)[] = [];
    for (const modelCase of MODEL_CASES) steps.push(await measure(() => timeTrainingStep(modelCase, modelCase.batch(backendOf(setup)))));
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
    return result instanceof Error ? result : (MODEL_CASES[i].batch(backendOf(setup)) * 1000) / result;
  };
  console.log("Training throughput, images/s (one Adam step of the training CLI's own step code; batch in brackets)\n");
  printTable(
    ["model", ...SETUPS],
    MODEL_CASES.map((modelCase, i) => [
      modelCase.name,
      ...SETUPS.map((setup) => {
        const rate = imagesPerSecond(setup, i);
        return rate instanceof Error ? formatMs(rate) : `${rate < 1 ? rate.toPrecision(2) : rate.toFixed(1)} (${modelCase.batch(backendOf(setup))})`;
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
 * the overrides, and the speed-up over one thread. Timed longer than the tables above: a ratio of two short
 * timings is noisier than either, and each worker's WebAssembly is still being optimised (V8 tiers it up in the
 * background) over its first steps.
 */
const SCALING_TIMING = { warmUps: 3, seconds: 10 };

async function printScaling(): Promise<void> {
  const counts = Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  console.log(
    `Data-parallel training (--workers N), wasm + overrides, images/s (speed-up over 1; ${SCALING_TIMING.warmUps} warm-up steps, then >= ${SCALING_TIMING.seconds} s); ${availableParallelism()} cores here\n`,
  );
  const rows: string[][] = [];
  for (const modelCase of MODEL_CASES) {
    const batch = modelCase.batch("wasm");
    const rates: number[] = [];
    for (const threads of counts) rates.push((batch * 1000) / (await timeTrainingStep(modelCase, batch, threads, SCALING_TIMING)));
    rows.push([`${modelCase.name} (batch ${batch})`, ...rates.map((rate) => `${rate.toFixed(1)} (${(rate / rates[0]).toFixed(2)}x)`)]);
  }
  printTable(["model", ...counts.map((n) => `${n} worker${n === 1 ? "" : "s"}`)], rows);
}

await main();
