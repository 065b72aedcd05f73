import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";

/**
 * Model factories. Every model is a stock tfjs LayersModel (no custom layers), so that the browser, the server and
 * the evaluation load the exported files with plain `tf.loadLayersModel`.
 */

export interface DaeConfig {
  /** Channels of the hidden convolutions. */
  filters: number;
  /** 3x3 convolutions in the body, at the reduced resolution. */
  depth: number;
  /**
   * The body works at 1/downsampling of the input resolution (1, 2 or 4), as FFDNet does: a strided convolution
   * folds each downsampling x downsampling patch into channels on the way in, a transposed one unfolds it on the
   * way out. Each factor of 2 makes the body 4x cheaper, which is what lets the model train on a CPU.
   */
  downsampling: 1 | 2 | 4;
}

export const DEFAULT_DAE_CONFIG: DaeConfig = { filters: 64, depth: 6, downsampling: 2 };

/**
 * Denoising autoencoder: fully convolutional (any input whose sides are multiples of `downsampling`), overcomplete
 * (no bottleneck: more channels than the input has values per patch) and residual: the network predicts the
 * correction to the noisy input, and a ReLU capped at 1 clips the sum to [0, 1].
 */
export function buildDae(config: DaeConfig = DEFAULT_DAE_CONFIG): tfl.LayersModel {
  const { filters, depth, downsampling: r } = config;
  const input = tfl.input({ shape: [null, null, 3], name: "noisy" });
  // Patches overlap (kernel 2r, stride r) so that neighbouring cells see each other's borders.
  const patchKernel = r === 1 ? 3 : 2 * r;
  let x = tfl.layers
    .conv2d({ filters, kernelSize: patchKernel, strides: r, padding: "same", activation: "relu" })
    .apply(input) as tfl.SymbolicTensor;
  for (let d = 0; d < depth; d++) {
    x = tfl.layers.conv2d({ filters, kernelSize: 3, padding: "same", activation: "relu" }).apply(x) as tfl.SymbolicTensor;
  }
  const correction = (
    r === 1
      ? tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: "same" })
      : tfl.layers.conv2dTranspose({ filters: 3, kernelSize: patchKernel, strides: r, padding: "same" })
  ).apply(x) as tfl.SymbolicTensor;
  const sum = tfl.layers.add().apply([input, correction]) as tfl.SymbolicTensor;
  const output = tfl.layers.reLU({ maxValue: 1, name: "denoised" }).apply(sum) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: "dae" });
}

/** The seed's plain undercomplete convolutional autoencoder: 3 stride-2 convolutions, mirrored back up. */
export function buildPlainFaceAutoencoder(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3], name: "image" });
  let x: tfl.SymbolicTensor = input;
  for (const filters of [32, 64, 128]) {
    x = tfl.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: "same", activation: "relu" }).apply(x) as tfl.SymbolicTensor;
  }
  for (const filters of [64, 32]) {
    x = tfl.layers
      .conv2dTranspose({ filters, kernelSize: 3, strides: 2, padding: "same", activation: "relu" })
      .apply(x) as tfl.SymbolicTensor;
  }
  const output = tfl.layers
    .conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "sigmoid", name: "reconstruction" })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: "ae_faces" });
}

export const MNIST_PIXELS = 784;
export const LATENT_DIM = 2;

function denseStack(input: tfl.SymbolicTensor, units: number[]): tfl.SymbolicTensor {
  return units.reduce(
    (x, u) => tfl.layers.dense({ units: u, activation: "relu" }).apply(x) as tfl.SymbolicTensor,
    input,
  );
}

export interface MlpConfig {
  hidden: number[];
}

export const DEFAULT_VAE_CONFIG: MlpConfig = { hidden: [512, 256] };
/** Hinton & Salakhutdinov (2006), Fig. 3: 784-1000-500-250-2. */
export const AE2D_CONFIG: MlpConfig = { hidden: [1000, 500, 250] };

/** VAE encoder: [N, 784] in [0, 1] -> [z_mean [N, 2], z_log_var [N, 2]]. */
export function buildVaeEncoder(config: MlpConfig = DEFAULT_VAE_CONFIG): tfl.LayersModel {
  const input = tfl.input({ shape: [MNIST_PIXELS], name: "digit" });
  const h = denseStack(input, config.hidden);
  const zMean = tfl.layers.dense({ units: LATENT_DIM, name: "z_mean" }).apply(h) as tfl.SymbolicTensor;
  const zLogVar = tfl.layers.dense({ units: LATENT_DIM, name: "z_log_var" }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: [zMean, zLogVar], name: "vae_encoder" });
}

/** Decoder (VAE and deterministic AE alike): [N, 2] -> [N, 784] Bernoulli means in [0, 1]. */
export function buildDigitDecoder(config: MlpConfig = DEFAULT_VAE_CONFIG, name = "vae_decoder"): tfl.LayersModel {
  const input = tfl.input({ shape: [LATENT_DIM], name: "z" });
  const h = denseStack(input, [...config.hidden].reverse());
  const output = tfl.layers.dense({ units: MNIST_PIXELS, activation: "sigmoid", name: "digit" }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name });
}

/** Deterministic encoder: [N, 784] -> [N, 2], a linear code layer as in the 2006 paper. */
export function buildDigitEncoder(config: MlpConfig = AE2D_CONFIG): tfl.LayersModel {
  const input = tfl.input({ shape: [MNIST_PIXELS], name: "digit" });
  const h = denseStack(input, config.hidden);
  const code = tfl.layers.dense({ units: LATENT_DIM, name: "code" }).apply(h) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: code, name: "ae2d_encoder" });
}

/** The reparameterisation trick: z = mean + exp(log_var / 2) * eps, eps ~ N(0, I). */
export function sampleLatent(zMean: tf.Tensor2D, zLogVar: tf.Tensor2D, seed?: number): tf.Tensor2D {
  return tf.tidy(() => {
    const epsilon = tf.randomNormal(zMean.shape, 0, 1, "float32", seed);
    return tf.add(zMean, tf.mul(tf.exp(tf.mul(zLogVar, 0.5)), epsilon)) as tf.Tensor2D;
  });
}

/**
 * Per-example negative ELBO terms in nats: Bernoulli reconstruction (binary cross-entropy summed over pixels) and
 * the closed-form KL divergence of N(mean, exp(log_var)) from N(0, I). Returned apart so they can be logged apart.
 */
export function vaeLossTerms(
  x: tf.Tensor2D,
  reconstruction: tf.Tensor2D,
  zMean: tf.Tensor2D,
  zLogVar: tf.Tensor2D,
): { reconstruction: tf.Scalar; kl: tf.Scalar } {
  return tf.tidy(() => {
    const eps = 1e-7;
    const p = tf.clipByValue(reconstruction, eps, 1 - eps);
    const bce = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, zLogVar), tf.square(zMean)), tf.exp(zLogVar)), 1));
    return { reconstruction: tf.mean(tf.sum(bce, 1)) as tf.Scalar, kl: tf.mean(kl) as tf.Scalar };
  });
}
