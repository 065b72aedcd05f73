import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS } from "../../lib/catalogue";
import { readTensor } from "../read-tensor";
import type { MnistSplit } from "./idx";

/** MNIST digits as float tensors in [0, 1], for training, the per-epoch metrics and the evaluation. */

/** The digits at `indices` (all of them without), as [count * 784] values in [0, 1]. */
export function digitsFloats(split: MnistSplit, indices?: ArrayLike<number>): Float32Array {
  const picked = indices ?? { length: split.count };
  const out = new Float32Array(picked.length * DIGIT_PIXELS);
  for (let b = 0; b < picked.length; b++) {
    const index = indices ? indices[b] : b;
    for (let p = 0; p < DIGIT_PIXELS; p++) out[b * DIGIT_PIXELS + p] = split.images[index * DIGIT_PIXELS + p] / 255;
  }
  return out;
}

export function digitsTensor(split: MnistSplit, indices?: ArrayLike<number>): tf.Tensor2D {
  const count = indices?.length ?? split.count;
  return tf.tensor2d(digitsFloats(split, indices), [count, DIGIT_PIXELS]);
}

/** Runs `encode` over the test digits in batches; returns [count * 2] floats. */
export function encodeAll(split: MnistSplit, encode: (x: tf.Tensor2D) => tf.Tensor): Promise<Float32Array> {
  return readTensor(() => encode(digitsTensor(split)));
}
