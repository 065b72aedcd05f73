import { beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { DEFAULT_DAE_ARCHITECTURE, MODELS } from "@/lib/catalogue";
import {
  buildDae,
  buildDigitDecoder,
  buildDigitEncoder,
  buildPlainFaceAutoencoder,
  buildVaeEncoder,
  pixelShuffle,
  trainOnlyRefinement,
  sampleLatent,
  vaeLossTerms,
} from "@/training/models";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("the builders follow the catalogue", () => {
  const tensors = (names: string[], list: { shape: (number | null)[] }[]) => list.map((t, i) => ({ name: names[i], shape: t.shape }));
  it.each([
    [MODELS.dae, () => buildDae()],
    [MODELS.faceAutoencoder, () => buildPlainFaceAutoencoder()],
    [MODELS.vaeEncoder, () => buildVaeEncoder()],
    [MODELS.vaeDecoder, () => buildDigitDecoder()],
    [MODELS.ae2dEncoder, () => buildDigitEncoder()],
    [MODELS.ae2dDecoder, () => buildDigitDecoder(undefined, MODELS.ae2dDecoder)],
  ])("$key: inputs and outputs by name and shape", (spec, build) => {
    const model = build();
    expect(tensors(model.inputNames, model.inputs)).toEqual(spec.inputs);
    expect(tensors(model.outputNames, model.outputs)).toEqual(spec.outputs);
    model.dispose();
  });
});

describe("pixel shuffle as stock layers", () => {
  it("unshuffle is the inverse of tfjs' depthToSpace, shuffle is depthToSpace, and neither is trained", () => {
    const input = tfl.input({ shape: [6, 4, 3] });
    const down = pixelShuffle(input, 3, 2, "unshuffle");
    const model = tfl.model({ inputs: input, outputs: [down, pixelShuffle(down, 3, 2, "shuffle")] });
    const x = tf.randomUniform([2, 6, 4, 3], 0, 1, "float32", 3);
    const [cells, back] = model.predict(x) as tf.Tensor[];
    expect(cells.shape).toEqual([2, 3, 2, 12]);
    expect(Array.from(tf.depthToSpace(cells as tf.Tensor4D, 2).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Array.from(back.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(model.trainableWeights).toHaveLength(0);
    tf.dispose([x, cells, back]);
  });

  it("a DAE resampled by pixel shuffle keeps the input size and trains only its convolutions", () => {
    const model = buildDae({ filters: 8, depth: 1, resample: "shuffle", refine: 1, refineFilters: 4 });
    const y = model.predict(tf.zeros([1, 20, 12, 3])) as tf.Tensor;
    expect(y.shape).toEqual([1, 20, 12, 3]);
    // Not trained: the shuffle's two one-hot kernels and the head's negation.
    expect(model.trainableWeights.length).toBe(model.getWeights().length - 3);
    tf.dispose(y);
  });

  it("the refinement head's gate, opened, hands back the noisy input exactly (a pixel the noise left alone)", () => {
    const model = buildDae({ filters: 8, depth: 1, refine: 1, refineFilters: 4 });
    const gate = model.getLayer("refine_keep");
    const [kernel, bias] = gate.getWeights();
    gate.setWeights([kernel, tf.fill(bias.shape, 30)]);
    const correction = model.getLayer("refine_out");
    correction.setWeights(correction.getWeights().map((w) => tf.zerosLike(w)));
    const noisy = tf.randomUniform([1, 16, 16, 3], 0, 1, "float32", 3);
    const output = model.predict(noisy) as tf.Tensor;
    expect(tf.max(tf.abs(tf.sub(output, noisy))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([noisy, output]);
  });

  it("with impulse marks, the head also sees where each component is exactly 0 or 1 at 8 bits, and nowhere else", () => {
    const model = buildDae({ filters: 8, depth: 1, refine: 1, refineFilters: 4, impulseMarks: "head" });
    const merge = model.layers.find((layer) => layer.getClassName() === "Concatenate")!;
    const headInputs = tfl.model({ inputs: model.inputs, outputs: merge.output as tfl.SymbolicTensor });
    // One pixel per level that matters: black, the levels next to black and white, white, and one between.
    const levels = [0, 1 / 255, 0.5, 254 / 255, 1];
    // Padded to 2x6, a size the body's stride-2 patches take.
    const noisy = tf.pad(tf.tensor4d(levels.flatMap((v) => [v, v, v]), [1, 1, levels.length, 3]), [[0, 0], [0, 1], [0, 1], [0, 0]], 0.5);
    // Rounded: float32 arithmetic leaves up to ~1e-5 at the levels next to black and white.
    const seen = tf.slice(headInputs.predict(noisy) as tf.Tensor4D, [0, 0, 0, 0], [1, 1, levels.length, 12]).arraySync()[0][0].map((c) => c.map((v) => Math.round(v * 1e4) / 1e4));
    expect(seen.map((channels) => channels.slice(6, 9))).toEqual(levels.map((v) => [v === 0, v === 0, v === 0].map(Number)));
    expect(seen.map((channels) => channels.slice(9, 12))).toEqual(levels.map((v) => [v === 1, v === 1, v === 1].map(Number)));
    expect(model.getLayer("refine_1").getWeights()[0].shape).toEqual([3, 3, 12, 4]);
    tf.dispose(noisy);
    // "all": the body's first convolution sees them too (3 + 6 channels); "head" needs a head.
    const everywhere = buildDae({ filters: 8, depth: 1, refine: 1, refineFilters: 4, impulseMarks: "all" });
    expect(everywhere.getWeights()[0].shape).toEqual([4, 4, 9, 8]);
    expect(() => buildDae({ filters: 8, depth: 1, impulseMarks: "head" })).toThrow(/needs a refinement head/);
  });

  it("trainOnlyRefinement leaves only the head's convolutions trainable, and needs a head", () => {
    const model = buildDae({ filters: 8, depth: 1, refine: 2, refineFilters: 4 });
    trainOnlyRefinement(model);
    // Two head convolutions, the gate and the correction, each a kernel and a bias.
    expect(model.trainableWeights.map((w) => w.shape)).toEqual([[3, 3, 6, 4], [4], [3, 3, 4, 4], [4], [3, 3, 4, 3], [3], [3, 3, 4, 3], [3]]);
    expect(() => trainOnlyRefinement(buildDae({ filters: 8, depth: 1 }))).toThrow(/needs a refinement head/);
  });
});

describe("face models", () => {
  it("the DAE is fully convolutional: any size divisible by its downsampling in, the same size out, in [0, 1]", () => {
    const model = buildDae({ ...DEFAULT_DAE_ARCHITECTURE, filters: 8, downsampling: 4 });
    for (const [h, w] of [
      [64, 64],
      [96, 20],
    ]) {
      const x = tf.randomUniform([2, h, w, 3]);
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([2, h, w, 3]);
      expect(tf.min(y).dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(tf.max(y).dataSync()[0]).toBeLessThanOrEqual(1);
      tf.dispose([x, y]);
    }
  });

  it("the default DAE fits the browser budget of 8 MB of weights", () => {
    expect(buildDae().countParams() * 4).toBeLessThan(8e6);
  });

  it("the plain autoencoder maps 64x64 faces to 64x64 faces", () => {
    const x = tf.zeros([1, 64, 64, 3]);
    const y = buildPlainFaceAutoencoder().predict(x) as tf.Tensor;
    expect(y.shape).toEqual([1, 64, 64, 3]);
    tf.dispose([x, y]);
  });
});

describe("MNIST models", () => {
  it("the VAE encoder gives z_mean and z_log_var, the decoder 784 pixels in [0, 1]", () => {
    const x = tf.randomUniform([5, 784]);
    const [zMean, zLogVar] = buildVaeEncoder().predict(x) as tf.Tensor[];
    expect(zMean.shape).toEqual([5, 2]);
    expect(zLogVar.shape).toEqual([5, 2]);
    const decoded = buildDigitDecoder().predict(zMean) as tf.Tensor;
    expect(decoded.shape).toEqual([5, 784]);
    expect(tf.max(decoded).dataSync()[0]).toBeLessThanOrEqual(1);
    tf.dispose([x, zMean, zLogVar, decoded]);
  });

  it("the deterministic encoder is 784-1000-500-250-2", () => {
    const encoder = buildDigitEncoder();
    expect(encoder.layers.filter((l) => l.getClassName() === "Dense").map((l) => l.outputShape)).toEqual([
      [null, 1000],
      [null, 500],
      [null, 250],
      [null, 2],
    ]);
  });

  it("sampling uses the spread: zero log-variance gives unit spread around the mean", () => {
    const mean = tf.fill([4000, 2], 3) as tf.Tensor2D;
    const logVar = tf.zeros([4000, 2]) as tf.Tensor2D;
    const z = sampleLatent(mean, logVar, 5);
    const moments = tf.moments(z);
    expect(moments.mean.dataSync()[0]).toBeCloseTo(3, 1);
    expect(Math.sqrt(moments.variance.dataSync()[0])).toBeCloseTo(1, 1);
    tf.dispose([mean, logVar, z, moments.mean, moments.variance]);
  });

  it("the loss terms have known values and leak no tensors", () => {
    const x = tf.tensor2d([[0, 1, 0.5, 1]]);
    const p = tf.tensor2d([[0.5, 0.5, 0.5, 0.5]]);
    const zMean = tf.tensor2d([[1, 0]]);
    const zLogVar = tf.tensor2d([[0, Math.log(4)]]);
    const before = tf.memory().numTensors;
    const terms = vaeLossTerms(x, p, zMean, zLogVar);
    // Each pixel costs ln 2 against p = 0.5 whatever x is; KL = 0.5 * (1² + (4 - 1 - ln 4)).
    expect(terms.reconstruction.dataSync()[0]).toBeCloseTo(4 * Math.log(2), 5);
    expect(terms.kl.dataSync()[0]).toBeCloseTo(0.5 * (1 + 4 - 1 - Math.log(4)), 5);
    tf.dispose([terms.reconstruction, terms.kl]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, p, zMean, zLogVar]);
  });
});
