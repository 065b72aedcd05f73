import * as tf from "@tensorflow/tfjs-core";
import type { LayersModel } from "@tensorflow/tfjs-layers";

/**
 * Running a model and reading its outputs back, the same in the browser's worker, on the server and in the
 * evaluation. `tf` is whichever backend the caller made active.
 */

/** A tensor's values with its shape: what crosses a worker boundary or leaves a model. */
export interface TensorData {
  data: Float32Array;
  shape: number[];
}

/** Runs `model` on one input and reads back every output, in the model's order (the VAE encoder has two). */
export async function runModel(model: LayersModel, input: TensorData): Promise<TensorData[]> {
  const outputs = tf.tidy(() => {
    const result = model.predict(tf.tensor(input.data, input.shape, "float32"));
    return Array.isArray(result) ? result : [result];
  });
  try {
    return await Promise.all(outputs.map(async (t) => ({ data: (await t.data()) as Float32Array, shape: t.shape.slice() })));
  } finally {
    tf.dispose(outputs);
  }
}

/** Whether any value is NaN or infinite: a backend that computes a model wrongly often shows it this way. */
export function hasNonFinite(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return true;
  return false;
}
