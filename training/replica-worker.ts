import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { errorMessage } from "../lib/errors";
import { selectBackend } from "./backend";
import type { ReplicaStart } from "./data-parallel";
import { allVariables, gradientsOf, trainableVariables, valuesOf } from "./gradients";
import { gradientTask } from "./tasks";
import type { Batch } from "./tasks/types";

/**
 * A worker thread of `--workers`: builds a replica of the run's models on the same backend as the main thread, at
 * the main thread's weights; then for each shard it is sent sets the trainable weights it came with and answers
 * the loss terms and gradients.
 */

const port = parentPort!;
const { run, config, backend, weights: startingWeights } = workerData.setup as ReplicaStart;
await selectBackend(backend);
const replica = gradientTask(run).replica(config);
assignWeights(allVariables(replica), startingWeights);
const variables = trainableVariables(replica);

function assignWeights(targets: tf.Variable[], values: Float32Array[]): void {
  tf.tidy(() => targets.forEach((variable, i) => variable.assign(tf.tensor(values[i], variable.shape))));
}

port.on("message", async ({ shard, weights }: { shard: Batch; weights: Float32Array[] }) => {
  try {
    assignWeights(variables, weights);
    const { terms, gradients } = await gradientsOf(replica, variables, shard);
    const arrays = await valuesOf(gradients);
    tf.dispose(gradients);
    port.postMessage({ terms, gradients: arrays }, arrays.map((a) => a.buffer as ArrayBuffer));
  } catch (error) {
    port.postMessage({ error: errorMessage(error) });
  }
});
port.postMessage({ ready: true });
