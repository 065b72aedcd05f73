import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createRandom } from "@/lib/random";
import { selectBackend } from "@/training/backend";
import { type GradientStepper, localStepper, parallelStepper, splitBatch } from "@/training/data-parallel";
import { daeTask } from "@/training/tasks/faces";
import { vaeTask } from "@/training/tasks/mnist";
import type { Batch, Replica } from "@/training/tasks/types";

/**
 * `--workers`: the gradients of a batch computed on two threads (the main thread and a worker thread with a
 * replica of the models) and averaged give the same step as one thread, up to float rounding, for the DAE (noisy
 * faces) and the VAE (its sampling noise travels in the batch). One step: Adam divides each update by the
 * gradient's running scale, so where a gradient is near zero its rounding differences grow step by step. Each run
 * starts from weights unlike the ones its config builds, as a run restored from a checkpoint does, and one case
 * trains only the DAE's head, so its body is frozen at those weights.
 */

beforeAll(async () => {
  await selectBackend("wasm");
});

const daeConfig = { ...daeTask.defaults, filters: 8, depth: 1, batchSize: 5 };
const headOnlyConfig = { ...daeConfig, refine: 1, refineFilters: 4, impulseMarks: "head", trainLayers: "refine" } as const;
const vaeConfig = { ...vaeTask.defaults, batchSize: 7 };

function faceData(count: number) {
  const random = createRandom(4);
  const faces = { pixels: Uint8Array.from({ length: count * 64 * 64 * 3 }, () => Math.floor(random.uniform() * 256)), count, size: 64, source: "random" };
  return { faces, heldOut: faces };
}

function digitData(count: number) {
  const random = createRandom(5);
  const split = { images: Uint8Array.from({ length: count * 784 }, () => (random.uniform() < 0.2 ? 255 : 0)), labels: new Uint8Array(count), count };
  return { train: split, test: split };
}

/** The weights after `stepper` has stepped through the batches, and the loss terms of each step. */
async function train(replica: Replica, stepper: GradientStepper, batches: Batch[]) {
  const terms = [];
  for (const batch of batches) terms.push(await stepper.step(batch));
  await stepper.close();
  return { weights: weightsOf(replica), terms };
}

/** Moves every weight, frozen ones included, away from where the config's seed put it, as a restore does. */
function restoredElsewhere(replica: Replica): Replica {
  for (const model of Object.values(replica.models)) model.setWeights(model.getWeights().map((w) => tf.tidy(() => w.mul(1.1).add(0.01))));
  return replica;
}

const weightsOf = (replica: Replica) => Object.values(replica.models).flatMap((m) => m.getWeights().map((w) => Array.from(w.dataSync())));

const cases = [
  { name: "the DAE", task: daeTask, config: daeConfig, data: () => faceData(12) },
  { name: "the DAE's head alone", task: daeTask, config: headOnlyConfig, data: () => faceData(12) },
  { name: "the VAE", task: vaeTask, config: vaeConfig, data: () => digitData(30) },
] as const;

describe.each(cases)("$name on 1 and 2 threads", ({ task, config, data }) => {
  const results: Awaited<ReturnType<typeof train>>[] = [];

  afterAll(() => {
    results.length = 0;
  });

  it("gives the same weights and loss terms after a step", async () => {
    const setup = { run: task.run.name, config, backend: "wasm" as const };
    for (const threads of [1, 2]) {
      // Same seed, same starting weights; the same batches from the same random source.
      const replica = restoredElsewhere(task.replica(config as never));
      const run = task.prepare(config as never, data() as never, replica, { backend: "wasm", log: () => {} });
      const random = createRandom(9);
      const batches = [run.batch(Int32Array.from({ length: config.batchSize }, (_, i) => i), random)];
      const optimizer = tf.train.adam(1e-3);
      const stepper = threads === 1 ? localStepper(replica, optimizer) : await parallelStepper(replica, optimizer, threads, setup);
      expect(stepper.threads).toBe(threads);
      results.push(await train(replica, stepper, batches));
    }
    const [one, two] = results;
    two.weights.forEach((values, k) => values.forEach((v, i) => expect(Math.abs(v - one.weights[k][i])).toBeLessThan(1e-5)));
    // Loss terms to 1e-6 of their size: the VAE's reconstruction term is in the hundreds of nats.
    two.terms.forEach((step, s) => Object.entries(step).forEach(([name, value]) => expect(Math.abs(value - one.terms[s][name])).toBeLessThan(1e-6 * Math.max(1, Math.abs(value)))));
    // The steps did something: the weights moved from where they started.
    const start = weightsOf(restoredElsewhere(task.replica(config as never)));
    expect(one.weights.some((values, k) => values.some((v, i) => Math.abs(v - start[k][i]) > 1e-4))).toBe(true);
  }, 120_000);
});

describe("splitBatch", () => {
  it("splits along the examples into nearly equal shards, in order, with none empty", () => {
    const batch = { count: 5, inputs: { x: { data: Float32Array.from({ length: 10 }, (_, i) => i), shape: [5, 2] } } };
    const shards = splitBatch(batch, 3);
    expect(shards.map((s) => s.count)).toEqual([2, 2, 1]);
    expect(shards.map((s) => Array.from(s.inputs.x.data))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(shards.map((s) => s.inputs.x.shape)).toEqual([[2, 2], [2, 2], [1, 2]]);
    expect(splitBatch({ ...batch, count: 2, inputs: { x: { data: new Float32Array(4), shape: [2, 2] } } }, 4).map((s) => s.count)).toEqual([1, 1]);
  });
});
