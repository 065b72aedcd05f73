import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { type RunState, readCheckpointState, restoreCheckpoint, saveCheckpoint } from "@/training/checkpoint";
import { buildVaeEncoder, seededKernels } from "@/training/models";

/** A checkpoint gives back exactly what it saved: the weights, Adam's moments, step count and bias corrections. */

const work = mkdtempSync(path.join(tmpdir(), "checkpoint-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(async () => {
  await tf.setBackend("cpu");
});

const x = tf.randomUniform([8, 784], 0, 1, "float32", 5);

/** A small encoder and its Adam optimizer, built the way the tasks build them. */
function setup(seed: number) {
  const model = buildVaeEncoder({ hidden: [16] }, seededKernels(seed));
  const optimizer = tf.train.adam(1e-2);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () => optimizer.minimize(() => tf.sum(tf.square((model.apply(x) as tf.Tensor[])[0])) as tf.Scalar, false, variables);
  return { model, optimizer, step };
}

const values = async (tensors: { tensor: tf.Tensor }[] | tf.Tensor[]) =>
  Promise.all(tensors.map((t) => ("tensor" in t ? t.tensor : t).data().then((d) => Array.from(d))));

const state: RunState<object> = { model: "test", config: {}, epoch: 1, examplesSeen: 8, seconds: 1, backend: "cpu", history: [] };

describe("checkpoints", () => {
  it("restore the same weights, Adam moments and step count, and the next step matches too", async () => {
    const trained = setup(1);
    // Enough steps for the running products beta^t to part from the powers a plain setWeights recomputes.
    for (let i = 0; i < 100; i++) trained.step();
    const dir = path.join(work, "one");
    await saveCheckpoint(dir, state, { encoder: trained.model }, trained.optimizer);

    const fresh = setup(2);
    expect(await values(fresh.model.getWeights())).not.toEqual(await values(trained.model.getWeights()));
    await restoreCheckpoint(dir, { encoder: fresh.model }, fresh.optimizer);
    expect(await values(fresh.model.getWeights())).toEqual(await values(trained.model.getWeights()));
    // The step count and both moments of every weight.
    expect(await values(await fresh.optimizer.getWeights())).toEqual(await values(await trained.optimizer.getWeights()));
    // Adam's bias corrections too: training on gives bit-identical weights.
    for (let i = 0; i < 50; i++) {
      trained.step();
      fresh.step();
    }
    expect(await values(fresh.model.getWeights())).toEqual(await values(trained.model.getWeights()));
  });

  it("swap in whole: after a save only the checkpoint is left, no staging or previous folder", async () => {
    const { model, optimizer, step } = setup(3);
    step();
    await saveCheckpoint(path.join(work, "swap", "ckpt"), state, { encoder: model }, optimizer);
    await saveCheckpoint(path.join(work, "swap", "ckpt"), { ...state, epoch: 2 }, { encoder: model }, optimizer);
    expect(readdirSync(path.join(work, "swap"))).toEqual(["ckpt"]);
    expect((await readCheckpointState(path.join(work, "swap", "ckpt"))).epoch).toBe(2);
  });
});
