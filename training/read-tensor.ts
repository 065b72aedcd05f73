import * as tf from "@tensorflow/tfjs";

/**
 * Computes a tensor in a tidy scope and reads it back asynchronously. Training code reads results only this way:
 * the webgpu backend cannot read GPU memory synchronously (`dataSync` fails there), and the async read lets the GPU
 * queue drain without blocking.
 */
export async function readTensor(compute: () => tf.Tensor): Promise<Float32Array> {
  const result = tf.tidy(compute);
  try {
    return (await result.data()) as Float32Array;
  } finally {
    result.dispose();
  }
}

export async function readScalar(compute: () => tf.Tensor): Promise<number> {
  return (await readTensor(compute))[0];
}
