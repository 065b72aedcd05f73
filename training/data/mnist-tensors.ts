import * as tf from "@tensorflow/tfjs";
import { MNIST_PIXELS } from "../../lib/models";
import { readTensor } from "../read-tensor";
import type { MnistSplit } from "./idx";

/** MNIST digits as float tensors in [0, 1], for training, the per-epoch metrics and the evaluation. */

export function digitsTensor(split: MnistSplit, indices?: ArrayLike<number>): tf.Tensor2D {
  const picked = indices ?? { length: split.count };
  const out = new Float32Array(picked.length * MNIST_PIXELS);
  for (let b = 0; b < picked.length; b++) {
    const index = indices ? indices[b] : b;
    for (let p = 0; p < MNIST_PIXELS; p++) out[b * MNIST_PIXELS + p] = split.images[index * MNIST_PIXELS + p] / 255;
  }
  return tf.tensor2d(out, [picked.length, MNIST_PIXELS]);
}

/** Runs `encode` over the test digits in batches; returns [count * 2] floats. */
export function encodeAll(split: MnistSplit, encode: (x: tf.Tensor2D) => tf.Tensor): Promise<Float32Array> {
  return readTensor(() => encode(digitsTensor(split)));
}
