import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import { errorMessage } from "../lib/errors";
import { selectBackend } from "./backend";
import type { WorkerSetup } from "./data-parallel";
import { gradientsOf, trainableVariables } from "./gradients";
import { gradientTask } from "./tasks";
import type { Batch } from "./tasks/types";

/**
 * A worker thread of `--workers`: builds a replica of the run's models on the same backend as the main thread,
 * then for each shard it is sent sets the weights it came with and answers the loss terms and gradients.
 */

const port = parentPort!;
const { run, config, backend } = workerData.setup as WorkerSetup;
await selectBackend(backend);
const replica = gradientTask(run).replica(config);
const variables = trainableVariables(replica);

port.on("message", async ({ shard, weights }: { shard: Batch; weights: Float32Array[] }) => {
  try {
    tf.tidy(() => variables.forEach((variable, i) => variable.assign(tf.tensor(weights[i], variable.shape))));
    const { terms, gradients } = await gradientsOf(replica, variables, shard);
    const arrays = (await Promise.all(gradients.map((g) => g.data()))) as Float32Array[];
    tf.dispose(gradients);
    port.postMessage({ terms, gradients: arrays }, arrays.map((a) => a.buffer as ArrayBuffer));
  } catch (error) {
    port.postMessage({ error: errorMessage(error) });
  }
});
port.postMessage({ ready: true });
