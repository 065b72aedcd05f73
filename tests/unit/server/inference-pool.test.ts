import os from "node:os";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel } from "@tensorflow/tfjs-layers";
import { buildDae } from "@/training/models";
import { HttpError } from "@/lib/server/http";
import { InferencePool, InferenceThreadError, inferenceThreadCount, type PoolModel } from "@/lib/server/inference-pool";
import { pixelImage } from "@/lib/image";
import { denoisingScores } from "@/lib/metrics";
import { runModel, type TensorData } from "@/lib/run-model";
import { setDeterministicWeights, SMALL_DAE } from "../../helpers/throwaway-models";

/**
 * The server's inference threads (issue 15, finding 1): a model runs in a worker thread as it runs on the event
 * loop, the event loop stays free meanwhile, a thread holds each model once and swaps it when its files change, and
 * a thread that stops is replaced on the next request. The threads run the TypeScript worker through tsx here, as
 * under Vitest; the production build's compiled worker is tested by tests/e2e/abuse-inference.spec.ts.
 */

/** A small DAE's files as tfjs loads them, from weights seeded by `seed`. */
async function daeModel(seed: number): Promise<PoolModel> {
  const model = buildDae(SMALL_DAE);
  setDeterministicWeights(model, seed);
  let artifacts!: tf.io.ModelArtifacts;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  model.dispose();
  return { name: "dae", key: `seed-${seed}`, artifacts };
}

function image(side: number): TensorData {
  return { data: Float32Array.from({ length: side * side * 3 }, (_, i) => ((i * 37) % 256) / 255), shape: [1, side, side, 3] };
}

/** The same model run on this thread's CPU backend: what the pool's answer must equal. */
async function onThisThread(model: PoolModel, input: TensorData): Promise<Float32Array> {
  const layers = await loadLayersModel({ load: async () => model.artifacts });
  try {
    return (await runModel(layers, input))[0].data;
  } finally {
    layers.dispose();
  }
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);

let pool: InferencePool;
let first: PoolModel;
let second: PoolModel;

beforeAll(async () => {
  await tf.setBackend("cpu");
  [first, second] = [await daeModel(1), await daeModel(2)];
  pool = new InferencePool(1);
});

afterAll(() => pool.close());

describe("InferencePool", () => {
  it("runs a model in a thread as it runs here, on the thread's WASM backend", async () => {
    const input = image(32);
    const [output] = await pool.run(first, { ...input, data: input.data.slice() });
    expect(output.shape).toEqual([1, 32, 32, 3]);
    expect(maxDifference(output.data, await onThisThread(first, input))).toBeLessThan(1e-4);
    expect(await pool.backend()).toBe("wasm");
  });

  it("leaves the event loop free while a model runs: timers keep firing", async () => {
    const gaps: number[] = [];
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      gaps.push(now - last);
      last = now;
    }, 5);
    const t0 = performance.now();
    try {
      await pool.run(first, image(512));
    } finally {
      clearInterval(timer);
    }
    const runMs = performance.now() - t0;
    const longest = Math.max(...gaps);
    console.log(`a ${runMs.toFixed(0)} ms model run: ${gaps.length} timer ticks meanwhile, the longest gap ${longest.toFixed(0)} ms`);
    // On the event loop the run would be one synchronous stretch: no tick at all until it ended.
    expect(gaps.length).toBeGreaterThan(3);
    expect(longest).toBeLessThan(runMs / 2);
  });

  it("holds one copy of a model, swaps it when its key changes, and frees the old one's tensors", async () => {
    const input = image(16);
    await pool.run(first, { ...input, data: input.data.slice() });
    const held = pool.tensors;
    expect(held).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await pool.run(first, { ...input, data: input.data.slice() });
    expect(pool.tensors).toBe(held);
    const [swapped] = await pool.run(second, { ...input, data: input.data.slice() });
    expect(maxDifference(swapped.data, await onThisThread(second, input))).toBeLessThan(1e-4);
    expect(maxDifference(swapped.data, await onThisThread(first, input))).toBeGreaterThan(1e-3);
    expect(pool.tensors).toBe(held);
  });

  it("warms a model up without waiting behind a busy thread: the load takes its turn in the background", async () => {
    const fresh: PoolModel = { ...(await daeModel(3)), key: "seed-3" };
    const order: string[] = [];
    const running = pool.run(first, image(384)).then(() => order.push("run"));
    await pool.warm(fresh);
    order.push("warm");
    await running;
    expect(order).toEqual(["warm", "run"]);
    const [output] = await pool.run(fresh, image(16));
    expect(output.shape).toEqual([1, 16, 16, 3]);
    // With a free thread, the warm-up waits for the load.
    await pool.warm(first);
    expect(pool.load).toEqual({ running: 0, waiting: 0 });
  });

  it("fails the request of a thread that stops with a 503, and starts another for the next request", async () => {
    // Big enough to be still running when the pool closes (a 256x256 one could finish within the 20 ms it waited).
    const running = pool.run(first, image(1024));
    await vi.waitFor(() => expect(pool.load.running).toBe(1), { interval: 1 });
    pool.close();
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InferenceThreadError);
    expect((error as HttpError).status).toBe(503);
    expect((error as HttpError).message).not.toMatch(/worker|terminate|exit/i);
    const [output] = await pool.run(first, image(16));
    expect(output.shape).toEqual([1, 16, 16, 3]);
  });

  it("computes a denoised image's scores in a thread, as lib/metrics does here", async () => {
    const picture = (seed: number) => pixelImage(Uint8ClampedArray.from({ length: 40 * 30 * 3 }, (_, i) => (i * seed) % 256), 40, 30);
    const [clean, noisy, denoised] = [picture(7), picture(11), picture(13)];
    expect(await pool.scores(clean, noisy, denoised)).toEqual(denoisingScores(clean, noisy, denoised));
  });

  it("hands out as many requests at once as it has threads", async () => {
    const two = new InferencePool(2);
    try {
      const runs = [two.run(first, image(128)), two.run(first, image(128)), two.run(first, image(128))];
      expect(two.load).toEqual({ running: 2, waiting: 1 });
      expect((await Promise.all(runs)).map(([o]) => o.shape)).toEqual(Array(3).fill([1, 128, 128, 3]));
    } finally {
      two.close();
    }
  });
});

describe("inferenceThreadCount", () => {
  it("takes INFERENCE_THREADS when set, and otherwise every core in a process of its own", () => {
    expect(inferenceThreadCount({ INFERENCE_THREADS: "3" })).toBe(3);
    expect(inferenceThreadCount({ INFERENCE_THREADS: "0" })).toBeGreaterThanOrEqual(1);
    // Vitest's test file is no cluster worker: one process, so it gets every core.
    expect(inferenceThreadCount({})).toBe(os.availableParallelism());
  });
});
