import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { type DaeArchitecture, DEFAULT_DAE_ARCHITECTURE, MODELS, type ModelSpec, type TensorSpec } from "../lib/catalogue";
import { BERNOULLI_EPSILON } from "../lib/vae-loss";

/**
 * Model factories. Every model is a stock tfjs LayersModel (no custom layers), so that the browser, the server and
 * the evaluation load the exported files with plain `tf.loadLayersModel`. Inputs and outputs take their names and
 * shapes from the catalogue, the contract every runtime reads.
 */

/** A model input as the catalogue describes it (the batch dimension is tfjs' own). */
const input = ({ name, shape }: TensorSpec) => tfl.input({ shape: shape.slice(1), name });

/**
 * What a layer's kernel starts as: "relu" for a layer a ReLU follows (He normal: keeps the signal's scale through
 * many layers), "linear" for one without (Glorot uniform), "zero" for the last layer of a residual branch, so that a
 * new model starts as the identity and learns the correction from there.
 */
export type KernelUse = "relu" | "linear" | "zero";

/** Hands out one kernel initializer per layer; undefined leaves tfjs' default (Glorot uniform, unseeded). */
export type Kernels = (use: KernelUse) => ReturnType<typeof tfl.initializers.glorotUniform> | undefined;

/**
 * Seeded kernels, a seed of their own per layer: a run's starting weights follow from its config, so two runs of
 * the same config start alike (and an interrupted run can be checked against one that was not).
 */
export function seededKernels(seed: number): Kernels {
  let layer = 0;
  return (use) => {
    const args = { seed: seed * 1009 + layer++ };
    if (use === "zero") return tfl.initializers.zeros();
    return use === "relu" ? tfl.initializers.heNormal(args) : tfl.initializers.glorotUniform(args);
  };
}

const unseeded: Kernels = () => undefined;

/**
 * Denoising autoencoder: fully convolutional (any input whose sides are multiples of `downsampling`), overcomplete
 * (no bottleneck: more channels than the input has values per patch) and residual: the network predicts the
 * correction to the noisy input, and a ReLU capped at 1 clips the sum to [0, 1]. Its body works at 1/r resolution.
 * An optional refinement head (`refine`) then looks at the noisy image and that result at full resolution. Where
 * one pixel is wrong and its neighbours right (masking, salt-and-pepper), the body at 1/r resolution blurs the right
 * ones too; the head's gate `keep` (0 to 1, per pixel and channel) can take those back from the noisy input exactly:
 * output = body + keep * (noisy - body) + correction. Gate and correction start closed and at zero, so a head added
 * to a trained model starts as that model. With `impulseMarks`, the head (or the body and the head) also sees where
 * the noisy image is exactly 0 or 1, which is where impulse noise struck.
 */
export function buildDae(config: Partial<DaeArchitecture> = {}, kernels = unseeded): tfl.LayersModel {
  const spec = MODELS.dae;
  const { filters, depth, downsampling: r, resample, refine, refineFilters, impulseMarks } = { ...DEFAULT_DAE_ARCHITECTURE, ...config };
  const conv = (channels: number, use: KernelUse, name?: string) =>
    tfl.layers.conv2d({ filters: channels, kernelSize: 3, padding: "same", activation: use === "relu" ? "relu" : undefined, kernelInitializer: kernels(use), name });
  const clipped = (x: tfl.SymbolicTensor[], name?: string) =>
    tfl.layers.reLU({ maxValue: 1, name }).apply(tfl.layers.add().apply(x) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  const noisy = input(spec.inputs[0]);
  if (impulseMarks === "head" && refine === 0) throw new Error("--impulse-marks head needs a refinement head (--refine N)");
  const marks = impulseMarks === "off" ? [] : extremes(noisy);
  const seen = impulseMarks === "all" ? (tfl.layers.concatenate().apply([noisy, ...marks]) as tfl.SymbolicTensor) : noisy;
  let x = down(seen, filters, r, resample, kernels);
  for (let d = 0; d < depth; d++) x = conv(filters, "relu").apply(x) as tfl.SymbolicTensor;
  const body = clipped([noisy, up(x, r, resample, kernels)], refine > 0 ? undefined : spec.outputs[0].name);
  if (refine === 0) return tfl.model({ inputs: noisy, outputs: body, name: modelName(spec) });
  const bodyToNoisy = tfl.layers.add().apply([noisy, negated(body)]) as tfl.SymbolicTensor;
  let h = tfl.layers.concatenate().apply([noisy, body, ...marks]) as tfl.SymbolicTensor;
  for (let i = 0; i < refine; i++) h = conv(refineFilters, "relu", `${REFINE_PREFIX}${i + 1}`).apply(h) as tfl.SymbolicTensor;
  const keep = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: "same", activation: "sigmoid", kernelInitializer: tfl.initializers.zeros(), biasInitializer: tfl.initializers.constant({ value: GATE_START }), name: `${REFINE_PREFIX}keep` })
    .apply(h) as tfl.SymbolicTensor;
  const kept = tfl.layers.multiply().apply([keep, bodyToNoisy]) as tfl.SymbolicTensor;
  const output = clipped([body, kept, conv(3, "zero", `${REFINE_PREFIX}out`).apply(h) as tfl.SymbolicTensor], spec.outputs[0].name);
  return tfl.model({ inputs: noisy, outputs: output, name: modelName(spec) });
}

/**
 * The refinement head's gate starts at sigmoid(-6) = 0.0025: next to closed, so a head added to a trained DAE starts
 * as (within 0.25% of) that DAE, and open enough for its gradient to flow.
 */
const GATE_START = -6;

/** -x, as a fixed 1x1 convolution (no Subtract layer in tfjs): the gate needs the noisy input minus the body's result. */
function negated(x: tfl.SymbolicTensor): tfl.SymbolicTensor {
  const channels = channelsOf(x);
  const layer = tfl.layers.conv2d({ filters: channels, kernelSize: 1, useBias: false, trainable: false });
  const output = layer.apply(x) as tfl.SymbolicTensor;
  const kernel = tf.tidy(() => tf.reshape(tf.neg(tf.eye(channels)), [1, 1, channels, channels]));
  layer.setWeights([kernel]);
  kernel.dispose();
  return output;
}

/**
 * Where an 8-bit image is exactly 0 and exactly 1, per component: 1 there, 0 at every other of the 256 levels
 * (relu(1 - 255x) and relu(255x - 254)). Fixed arithmetic of stock layers, no weights.
 */
function extremes(x: tfl.SymbolicTensor): tfl.SymbolicTensor[] {
  const mark = (scale: number, offset: number) =>
    tfl.layers.reLU().apply(tfl.layers.rescaling({ scale, offset }).apply(x) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  return [mark(-255, 1), mark(255, -254)];
}

/** The refinement head's convolutions are named with this prefix. */
const REFINE_PREFIX = "refine_";

/**
 * Freezes everything but the refinement head's convolutions: a head added to a trained DAE learns alone first. Its
 * gradients need no pass back through the body, so a step costs a fraction of a full one.
 */
export function trainOnlyRefinement(dae: tfl.LayersModel): void {
  const head = dae.layers.filter((layer) => layer.name.startsWith(REFINE_PREFIX));
  if (head.length === 0) throw new Error("--train-layers refine needs a refinement head (--refine N)");
  for (const layer of dae.layers) layer.trainable = head.includes(layer);
}

/** To the body's resolution and `filters` channels. */
function down(x: tfl.SymbolicTensor, filters: number, r: number, resample: DaeArchitecture["resample"], kernels: Kernels): tfl.SymbolicTensor {
  if (resample === "shuffle" && r > 1) {
    const cells = pixelShuffle(x, channelsOf(x), r, "unshuffle");
    return tfl.layers.conv2d({ filters, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: kernels("relu") }).apply(cells) as tfl.SymbolicTensor;
  }
  // Patches overlap (kernel 2r, stride r) so that neighbouring cells see each other's borders.
  const kernelSize = r === 1 ? 3 : 2 * r;
  return tfl.layers.conv2d({ filters, kernelSize, strides: r, padding: "same", activation: "relu", kernelInitializer: kernels("relu") }).apply(x) as tfl.SymbolicTensor;
}

/** Back to full resolution: the 3-channel correction, starting at zero (the model starts as the identity). */
function up(x: tfl.SymbolicTensor, r: number, resample: DaeArchitecture["resample"], kernels: Kernels): tfl.SymbolicTensor {
  const channels = 3;
  if (r === 1) return tfl.layers.conv2d({ filters: channels, kernelSize: 3, padding: "same", kernelInitializer: kernels("zero") }).apply(x) as tfl.SymbolicTensor;
  if (resample === "shuffle") {
    const cells = tfl.layers.conv2d({ filters: channels * r * r, kernelSize: 3, padding: "same", kernelInitializer: kernels("zero") }).apply(x) as tfl.SymbolicTensor;
    return pixelShuffle(cells, channels, r, "shuffle");
  }
  return tfl.layers.conv2dTranspose({ filters: channels, kernelSize: 2 * r, strides: r, padding: "same", kernelInitializer: kernels("zero") }).apply(x) as tfl.SymbolicTensor;
}

const channelsOf = (x: tfl.SymbolicTensor) => x.shape.at(-1)!;

/**
 * Pixel unshuffle (space to depth: each r x r block of `channels` channels into r*r*channels channels of one
 * cell) or shuffle (the reverse), as stock layers, so the exported files stay plain LayersModels: a stride-r
 * convolution, or its transpose, whose fixed one-hot kernel only moves values. Not trained.
 */
export function pixelShuffle(x: tfl.SymbolicTensor, channels: number, r: number, direction: "unshuffle" | "shuffle"): tfl.SymbolicTensor {
  const cellChannels = channels * r * r;
  const layer =
    direction === "unshuffle"
      ? tfl.layers.conv2d({ filters: cellChannels, kernelSize: r, strides: r, useBias: false, trainable: false })
      : tfl.layers.conv2dTranspose({ filters: channels, kernelSize: r, strides: r, useBias: false, trainable: false });
  const output = layer.apply(x) as tfl.SymbolicTensor;
  // Both kernels are [r, r, channels, r*r*channels]-shaped one-hot maps: block position (i, j) and channel c to
  // cell channel (i*r + j)*channels + c (a convolution's kernel is [h, w, in, out], a transpose's [h, w, out, in]).
  const oneHot = new Float32Array(r * r * channels * cellChannels);
  for (let i = 0; i < r; i++) for (let j = 0; j < r; j++) for (let c = 0; c < channels; c++) {
    oneHot[((i * r + j) * channels + c) * cellChannels + (i * r + j) * channels + c] = 1;
  }
  layer.setWeights([tf.tensor4d(oneHot, [r, r, channels, cellChannels])]);
  return output;
}

/** The seed's plain undercomplete convolutional autoencoder: 3 stride-2 convolutions, mirrored back up. */
export function buildPlainFaceAutoencoder(kernels = unseeded): tfl.LayersModel {
  const spec = MODELS.faceAutoencoder;
  const image = input(spec.inputs[0]);
  let x: tfl.SymbolicTensor = image;
  for (const filters of [32, 64, 128]) {
    x = tfl.layers.conv2d({ filters, kernelSize: 3, strides: 2, padding: "same", activation: "relu", kernelInitializer: kernels("relu") }).apply(x) as tfl.SymbolicTensor;
  }
  for (const filters of [64, 32]) {
    x = tfl.layers
      .conv2dTranspose({ filters, kernelSize: 3, strides: 2, padding: "same", activation: "relu", kernelInitializer: kernels("relu") })
      .apply(x) as tfl.SymbolicTensor;
  }
  const output = tfl.layers
    .conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2, padding: "same", activation: "sigmoid", name: spec.outputs[0].name, kernelInitializer: kernels("linear") })
    .apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: image, outputs: output, name: modelName(spec) });
}

function denseStack(input: tfl.SymbolicTensor, units: number[], kernels: Kernels): tfl.SymbolicTensor {
  return units.reduce(
    (x, u) => tfl.layers.dense({ units: u, activation: "relu", kernelInitializer: kernels("relu") }).apply(x) as tfl.SymbolicTensor,
    input,
  );
}

/** A dense output layer for each of the spec's outputs (a linear code, or the sigmoid of Bernoulli means). */
function denseOutputs(h: tfl.SymbolicTensor, outputs: readonly TensorSpec[], kernels: Kernels, activation?: "sigmoid"): tfl.SymbolicTensor[] {
  return outputs.map(({ name, shape }) => tfl.layers.dense({ units: shape[1]!, activation, name, kernelInitializer: kernels("linear") }).apply(h) as tfl.SymbolicTensor);
}

export interface MlpConfig {
  hidden: number[];
}

export const DEFAULT_VAE_CONFIG: MlpConfig = { hidden: [512, 256] };
/** Hinton & Salakhutdinov (2006), Fig. 3: 784-1000-500-250-2. */
export const AE2D_CONFIG: MlpConfig = { hidden: [1000, 500, 250] };

/** VAE encoder: [N, 784] in [0, 1] -> [z_mean [N, 2], z_log_var [N, 2]]. */
export function buildVaeEncoder(config: MlpConfig = DEFAULT_VAE_CONFIG, kernels = unseeded): tfl.LayersModel {
  return mlp(MODELS.vaeEncoder, config.hidden, kernels);
}

/** Decoder (the VAE's, or the deterministic AE's with `spec` MODELS.ae2dDecoder): [N, 2] -> [N, 784] Bernoulli means in [0, 1]. */
export function buildDigitDecoder(config: MlpConfig = DEFAULT_VAE_CONFIG, spec: ModelSpec = MODELS.vaeDecoder, kernels = unseeded): tfl.LayersModel {
  return mlp(spec, [...config.hidden].reverse(), kernels, "sigmoid");
}

/** Deterministic encoder: [N, 784] -> [N, 2], a linear code layer as in the 2006 paper. */
export function buildDigitEncoder(config: MlpConfig = AE2D_CONFIG, kernels = unseeded): tfl.LayersModel {
  return mlp(MODELS.ae2dEncoder, config.hidden, kernels);
}

/** A multilayer perceptron from the spec's one input through `hidden` ReLU layers to its outputs. */
function mlp(spec: ModelSpec, hidden: number[], kernels: Kernels, activation?: "sigmoid"): tfl.LayersModel {
  const x = input(spec.inputs[0]);
  const outputs = denseOutputs(denseStack(x, hidden, kernels), spec.outputs, kernels, activation);
  return tfl.model({ inputs: x, outputs: outputs.length === 1 ? outputs[0] : outputs, name: modelName(spec) });
}

/** The tfjs model's own name: the catalogue key with underscores ("vae_encoder"), as tfjs layer names go. */
const modelName = (spec: ModelSpec) => spec.key.replaceAll("-", "_");

/** The reparameterisation trick: z = mean + exp(log_var / 2) * eps, for standard normal draws eps. */
export function reparameterize(zMean: tf.Tensor2D, zLogVar: tf.Tensor2D, epsilon: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(zMean, tf.mul(tf.exp(tf.mul(zLogVar, 0.5)), epsilon)) as tf.Tensor2D);
}

/** z ~ N(mean, exp(log_var)), with tfjs' seeded normal draws. */
export function sampleLatent(zMean: tf.Tensor2D, zLogVar: tf.Tensor2D, seed?: number): tf.Tensor2D {
  return tf.tidy(() => reparameterize(zMean, zLogVar, tf.randomNormal(zMean.shape, 0, 1, "float32", seed)));
}

/**
 * Per-example negative ELBO terms in nats: Bernoulli reconstruction (binary cross-entropy summed over pixels) and
 * the closed-form KL divergence of N(mean, exp(log_var)) from N(0, I), averaged over the batch. Returned apart so
 * they can be logged apart. The differentiable twin of lib/vae-loss.ts (one digit, plain numbers, for the latent
 * page); tests/unit/training/vae-loss.test.ts holds the two equal.
 */
export function vaeLossTerms(
  x: tf.Tensor2D,
  reconstruction: tf.Tensor2D,
  zMean: tf.Tensor2D,
  zLogVar: tf.Tensor2D,
): { reconstruction: tf.Scalar; kl: tf.Scalar } {
  return tf.tidy(() => {
    const p = tf.clipByValue(reconstruction, BERNOULLI_EPSILON, 1 - BERNOULLI_EPSILON);
    const bce = tf.neg(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p)))));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, zLogVar), tf.square(zMean)), tf.exp(zLogVar)), 1));
    return { reconstruction: tf.mean(tf.sum(bce, 1)) as tf.Scalar, kl: tf.mean(kl) as tf.Scalar };
  });
}
