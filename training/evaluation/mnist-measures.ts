import * as tf from "@tensorflow/tfjs";
import { sampleLatent, vaeLossTerms } from "../models";
import type { MnistSplit } from "../data/idx";
import { digitsTensor } from "../data/mnist-tensors";
import { readScalar, readTensor } from "../read-tensor";

/**
 * The MNIST measures shared by training's per-epoch metrics and `npm run evaluate`, so that both report the same
 * numbers for the same model.
 */

const PREDICT_BATCH = 1000;
const ELBO_SEED = 7;

export interface NegativeElbo {
  negativeElbo: number;
  reconstruction: number;
  kl: number;
}

/** Negative ELBO in nats per digit, reconstruction and KL apart, averaged over `samples` latent draws. */
export async function vaeNegativeElbo(
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  test: MnistSplit,
  samples: number,
): Promise<NegativeElbo> {
  const x = digitsTensor(test);
  const [zMean, zLogVar] = encoder.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor2D[];
  let [reconstruction, kl] = [0, 0];
  try {
    for (let sample = 0; sample < samples; sample++) {
      // [reconstruction, KL] of one latent draw; the KL is closed form, the same for every draw.
      const terms = await readTensor(() => {
        const decoded = decoder.predict(sampleLatent(zMean, zLogVar, ELBO_SEED + sample), { batchSize: PREDICT_BATCH });
        const { reconstruction, kl } = vaeLossTerms(x, decoded as tf.Tensor2D, zMean, zLogVar);
        return tf.stack([reconstruction, kl]);
      });
      reconstruction += terms[0] / samples;
      kl = terms[1];
    }
  } finally {
    tf.dispose([x, zMean, zLogVar]);
  }
  return { negativeElbo: reconstruction + kl, reconstruction, kl };
}

/** Squared error summed over a digit's 784 pixels, averaged over digits (as Hinton & Salakhutdinov report it). */
export function squaredErrorPerDigit(test: MnistSplit, reconstruct: (x: tf.Tensor2D) => tf.Tensor): Promise<number> {
  return readScalar(() => {
    const x = digitsTensor(test);
    return tf.mean(tf.sum(tf.squaredDifference(x, reconstruct(x)), 1));
  });
}

/** A deterministic autoencoder's reconstruction, in batches. */
export function autoencode(encoder: tf.LayersModel, decoder: tf.LayersModel): (x: tf.Tensor2D) => tf.Tensor {
  return (x) => decoder.predict(encoder.predict(x, { batchSize: PREDICT_BATCH }), { batchSize: PREDICT_BATCH }) as tf.Tensor;
}
