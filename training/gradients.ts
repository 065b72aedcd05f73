import * as tf from "@tensorflow/tfjs";
import type { Batch, Replica } from "./tasks/types";

/**
 * One gradient step's arithmetic, the same on the main thread and in the workers of `--workers`: the loss terms of
 * a batch and the gradients of their sum, and applying gradients with the run's optimizer.
 */

/**
 * A replica's trainable variables in a fixed order (its models as listed, each model's weights in order): the same
 * in every replica, and the order the optimizer keeps its moments in, so checkpoints stay readable.
 */
export function trainableVariables(replica: Replica): tf.Variable[] {
  return variablesOf(replica, (model) => model.trainableWeights);
}

/** Every variable of a replica, frozen ones included, in the same fixed order. */
export function allVariables(replica: Replica): tf.Variable[] {
  return variablesOf(replica, (model) => model.weights);
}

function variablesOf(replica: Replica, weightsOf: (model: tf.LayersModel) => tf.LayerVariable[]): tf.Variable[] {
  return Object.values(replica.models).flatMap((model) => weightsOf(model).map((weight) => weight.read() as tf.Variable));
}

/** The values of float32 tensors (weights, gradients), read back for another thread. */
export async function valuesOf(tensors: tf.Tensor[]): Promise<Float32Array[]> {
  return (await Promise.all(tensors.map((t) => t.data()))) as Float32Array[];
}

function batchTensors({ inputs }: Batch): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(inputs).map(([name, { data, shape }]) => [name, tf.tensor(data, shape, "float32")]));
}

/** The batch's loss terms (read back) and the gradients of their sum in `variables`' order; the caller disposes them. */
export async function gradientsOf(replica: Replica, variables: tf.Variable[], batch: Batch): Promise<{ terms: Record<string, number>; gradients: tf.Tensor[] }> {
  let kept: Record<string, tf.Scalar> = {};
  const { value, grads } = tf.variableGrads(() => {
    const terms = replica.loss(batchTensors(batch));
    kept = Object.fromEntries(Object.entries(terms).map(([name, term]) => [name, tf.keep(term)]));
    return tf.addN(Object.values(terms)) as tf.Scalar;
  }, variables);
  value.dispose();
  const terms = Object.fromEntries(await Promise.all(Object.entries(kept).map(async ([name, term]) => [name, (await term.data())[0]] as const)));
  tf.dispose(Object.values(kept));
  return { terms, gradients: variables.map((variable) => grads[variable.name]) };
}

/** One optimizer step with `gradients` (in `variables`' order), which it disposes. */
export function applyGradients(optimizer: tf.Optimizer, variables: tf.Variable[], gradients: tf.Tensor[]): void {
  optimizer.applyGradients(Object.fromEntries(variables.map((variable, i) => [variable.name, gradients[i]])));
  tf.dispose(gradients);
}
