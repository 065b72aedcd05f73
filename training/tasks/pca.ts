import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS } from "../../lib/catalogue";
import { createRandom } from "../../lib/random";
import { MODELS, RUNS } from "../../lib/catalogue";
import { exportDataFile, withRelativePaths } from "../export";
import { readTensor } from "../read-tensor";
import { digitsTensor, encodeAll } from "../data/mnist-tensors";
import { exportCodes, loadMnistSets, type MnistSets } from "./mnist";
import type { ClosedFormTask } from "./types";

/**
 * 2-D PCA of MNIST, the linear baseline of Hinton & Salakhutdinov's Fig. 3A: the two leading eigenvectors of the
 * training digits' covariance, found by subspace iteration on the 784x784 covariance (tfjs has no eigensolver;
 * 200 iterations converge far below float32 precision for MNIST's well-separated leading eigenvalues).
 */

export interface PcaModel {
  mean: number[];
  /** Two rows of 784: the principal axes, unit length, largest variance first. */
  components: number[][];
  explainedVariance: number[];
}

const ITERATIONS = 200;

function leadingEigenvectors(covariance: tf.Tensor2D, count: number, seed: number): { vectors: tf.Tensor2D; values: tf.Tensor1D } {
  return tf.tidy(() => {
    const random = createRandom(seed);
    let basis = tf.tensor2d(Float32Array.from({ length: DIGIT_PIXELS * count }, () => random.normal()), [DIGIT_PIXELS, count]);
    for (let i = 0; i < ITERATIONS; i++) {
      const [q] = tf.linalg.qr(tf.matMul(covariance, basis));
      basis = q as tf.Tensor2D;
    }
    // Rayleigh quotients give the eigenvalues; order the axes by them.
    const values = tf.sum(tf.mul(basis, tf.matMul(covariance, basis)), 0) as tf.Tensor1D;
    const order = tf.topk(values, count).indices;
    return { vectors: tf.gather(basis, order, 1) as tf.Tensor2D, values: tf.gather(values, order) as tf.Tensor1D };
  });
}

export async function fitPca(images: tf.Tensor2D, seed: number): Promise<PcaModel> {
  const mean = await readTensor(() => tf.mean(images, 0));
  const covariance = tf.tidy(() => {
    const centred = tf.sub(images, tf.tensor1d(mean));
    return tf.div(tf.matMul(centred, centred, true, false), images.shape[0] - 1) as tf.Tensor2D;
  });
  const { vectors, values } = leadingEigenvectors(covariance, 2, seed);
  const axes = await readTensor(() => tf.transpose(vectors));
  const explainedVariance = Array.from(await readTensor(() => values));
  tf.dispose([covariance, vectors]);
  const axis = (i: number) => Array.from(axes.subarray(i * DIGIT_PIXELS, (i + 1) * DIGIT_PIXELS));
  return { mean: Array.from(mean), components: [axis(0), axis(1)], explainedVariance };
}

export function projectPca(pca: PcaModel, images: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(tf.sub(images, tf.tensor1d(pca.mean)), tf.tensor2d(pca.components), false, true) as tf.Tensor2D);
}

/** The PCA reconstruction of 2-D codes: mean + code · components. */
export function reconstructPca(pca: PcaModel, codes: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.matMul(codes, tf.tensor2d(pca.components)), tf.tensor1d(pca.mean)) as tf.Tensor2D);
}

export const pcaTask: ClosedFormTask<MnistSets> = {
  kind: "closed-form",
  run: RUNS.pca2d,
  description: "2-D PCA of MNIST (closed form), the linear baseline",
  defaults: { data: "", limit: 0, seed: 1 },
  loadData: loadMnistSets,
  async fitAndExport(config, { train, test }, modelsDir, context) {
    const started = performance.now();
    const images = digitsTensor(train);
    const pca = await fitPca(images, config.seed);
    images.dispose();
    const codes = await encodeAll(test, (x) => projectPca(pca, x));
    const seconds = (performance.now() - started) / 1000;
    const spec = MODELS.pca2d;
    const file = await exportDataFile(modelsDir, spec.entry, JSON.stringify(pca));
    context.log(`pca2d: explained variance ${pca.explainedVariance.map((v) => v.toFixed(3)).join(", ")} in ${seconds.toFixed(1)} s`);
    return {
      [spec.key]: {
        format: spec.format,
        entry: file.path,
        files: [file],
        inputs: [...spec.inputs],
        outputs: [...spec.outputs],
        training: {
          config: { ...withRelativePaths(config) },
          backend: context.backend,
          seconds,
          examplesSeen: train.count,
          epochs: 1,
          trainedAt: new Date().toISOString(),
          metrics: { explained_variance_1: pca.explainedVariance[0], explained_variance_2: pca.explainedVariance[1] },
        },
        artifacts: await exportCodes(modelsDir, RUNS.pca2d.name, codes, test.labels),
      },
    };
  },
};
