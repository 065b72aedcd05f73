import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { DIGIT_PIXELS, DIGIT_SIDE, EMBEDDINGS, type EmbeddingId, LATENT_DIM, MODELS, RUNS } from "../../lib/catalogue";
import type { MnistResult } from "../../lib/evaluation";
import { pixelImage } from "../../lib/image";
import { knnAccuracy } from "../../lib/knn";
import type { MnistSplit } from "../data/idx";
import { encodeAll } from "../data/mnist-tensors";
import { readTensor } from "../read-tensor";
import { loadMnistSets } from "../tasks/mnist";
import { type PcaModel, projectPca, reconstructPca } from "../tasks/pca";
import { FIGURE_PATHS, latentGridCoordinates, writeImageRows, writeLatentScatter } from "./figures";
import type { Log } from "./format";
import { autoencode, squaredErrorPerDigit, vaeNegativeElbo } from "./mnist-measures";
import { loadLayersModel, loadPca, type ModelsFolder } from "./models";
import { ELBO_SAMPLES, EMBEDDING_TITLES, KNN_K, LATENT_GRID_STEPS } from "./settings";

/**
 * MNIST: the VAE's negative ELBO on the test digits, the 5-NN accuracy of each 2-D embedding's test codes among its
 * training codes, the squared reconstruction error of the deterministic ones, and the latent figures.
 */

const PREDICT_BATCH = 1000;

interface MnistModels {
  vaeEncoder: tf.LayersModel;
  vaeDecoder: tf.LayersModel;
  aeEncoder: tf.LayersModel;
  aeDecoder: tf.LayersModel;
  pca: PcaModel;
}

/** Each embedding's codes of the training and the test digits. */
interface Codes {
  id: EmbeddingId;
  train: Float32Array;
  test: Float32Array;
}

export async function evaluateMnist(models: ModelsFolder, limit: number | undefined, out: string, log: Log): Promise<MnistResult> {
  const sets = await loadMnistSets({ data: "", limit: limit ?? 0 });
  const [train, test] = [sets.train, limit ? firstDigits(sets.test, limit) : sets.test];
  log(`mnist: ${test.count} test digits, ${train.count} training digits for the ${KNN_K}-NN search`);
  const loaded = await loadMnistModels(models);
  try {
    const vae = await vaeNegativeElbo(loaded.vaeEncoder, loaded.vaeDecoder, test, ELBO_SAMPLES);
    log(`mnist: VAE negative ELBO ${vae.negativeElbo.toFixed(2)} nats (reconstruction ${vae.reconstruction.toFixed(2)}, KL ${vae.kl.toFixed(2)})`);
    const codes = await encodeEmbeddings(loaded, train, test);
    const knn5 = knnAccuracies(codes, train, test);
    log(
      `mnist: ${KNN_K}-NN accuracy of the 2-D codes: VAE ${knn5[RUNS.vae.name].toFixed(3)}, AE ${knn5[RUNS.ae2d.name].toFixed(3)}, ` +
        `PCA ${knn5[RUNS.pca2d.name].toFixed(3)}`,
    );
    const squaredError = {
      [RUNS.ae2d.name]: await squaredErrorPerDigit(test, autoencode(loaded.aeEncoder, loaded.aeDecoder)),
      [RUNS.pca2d.name]: await squaredErrorPerDigit(test, (x) => reconstructPca(loaded.pca, projectPca(loaded.pca, x))),
    };
    await writeLatentFigures(out, codes, knn5, test.labels, loaded.vaeDecoder);
    return { trainDigits: train.count, testDigits: test.count, vae, knn5, squaredError };
  } finally {
    for (const model of [loaded.vaeEncoder, loaded.vaeDecoder, loaded.aeEncoder, loaded.aeDecoder]) model.dispose();
  }
}

async function loadMnistModels(models: ModelsFolder): Promise<MnistModels> {
  return {
    vaeEncoder: await loadLayersModel(models, MODELS.vaeEncoder),
    vaeDecoder: await loadLayersModel(models, MODELS.vaeDecoder),
    aeEncoder: await loadLayersModel(models, MODELS.ae2dEncoder),
    aeDecoder: await loadLayersModel(models, MODELS.ae2dDecoder),
    pca: await loadPca(models),
  };
}

function firstDigits(split: MnistSplit, count: number): MnistSplit {
  const kept = Math.min(count, split.count);
  return { images: split.images.subarray(0, kept * DIGIT_PIXELS), labels: split.labels.subarray(0, kept), count: kept };
}

function encoders({ vaeEncoder, aeEncoder, pca }: MnistModels): Record<EmbeddingId, (x: tf.Tensor2D) => tf.Tensor> {
  return {
    // The VAE's code is its posterior mean, as in the latent explorer.
    [RUNS.vae.name]: (x) => (vaeEncoder.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor[])[0],
    [RUNS.ae2d.name]: (x) => aeEncoder.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor,
    [RUNS.pca2d.name]: (x) => projectPca(pca, x),
  };
}

async function encodeEmbeddings(models: MnistModels, train: MnistSplit, test: MnistSplit): Promise<Codes[]> {
  const encode = encoders(models);
  const codes: Codes[] = [];
  for (const { id } of EMBEDDINGS) codes.push({ id, train: await encodeAll(train, encode[id]), test: await encodeAll(test, encode[id]) });
  return codes;
}

function knnAccuracies(codes: Codes[], train: MnistSplit, test: MnistSplit): MnistResult["knn5"] {
  const accuracy = (c: Codes) => knnAccuracy({ codes: c.train, labels: train.labels }, { codes: c.test, labels: test.labels }, KNN_K);
  return Object.fromEntries(codes.map((c) => [c.id, accuracy(c)])) as MnistResult["knn5"];
}

async function writeLatentFigures(out: string, codes: Codes[], knn5: MnistResult["knn5"], labels: Uint8Array, vaeDecoder: tf.LayersModel): Promise<void> {
  const panels = codes.map((c) => ({ title: `${EMBEDDING_TITLES[c.id]}: 5-NN ${knn5[c.id].toFixed(3)}`, codes: c.test, labels }));
  await writeLatentScatter(path.join(out, FIGURE_PATHS.latentScatter), panels);
  await writeLatentGrid(path.join(out, FIGURE_PATHS.latentGrid), vaeDecoder);
}

/** Kingma & Welling's Fig. 4: the VAE decoder over a grid on the latent plane. */
async function writeLatentGrid(file: string, vaeDecoder: tf.LayersModel): Promise<void> {
  const steps = LATENT_GRID_STEPS;
  const digits = await readTensor(() => vaeDecoder.predict(tf.tensor2d(latentGridCoordinates(steps), [steps * steps, LATENT_DIM])) as tf.Tensor);
  const digit = (i: number) => pixelImage(digits.slice(i * DIGIT_PIXELS, (i + 1) * DIGIT_PIXELS), DIGIT_SIDE, DIGIT_SIDE, 1);
  const rows = Array.from({ length: steps }, (_, row) => Array.from({ length: steps }, (_, column) => digit(row * steps + column)));
  await writeImageRows(file, rows, { scale: 1, gap: 0 });
}
