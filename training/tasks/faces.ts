import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type DaeArchitecture, DEFAULT_DAE_ARCHITECTURE, FACE_SIDE, MODELS, RUNS } from "../../lib/catalogue";
import { pixelImage } from "../../lib/image";
import { psnr } from "../../lib/metrics";
import { applyNoise, quantize8Bit } from "../../lib/noise";
import type { Random } from "../../lib/random";
import { corrupt, DEFAULT_IMPULSE_SHARE } from "../corruption";
import { type FaceSet, firstFaces, holdOutFaces, loadFaces } from "../data/faces";
import { exportLayersModel } from "../export";
import { buildDae, buildPlainFaceAutoencoder, seededKernels, trainOnlyRefinement } from "../models";
import { readTensor } from "../read-tensor";
import { NOISE_SETTINGS } from "../evaluation/settings";
import { DEFAULT_SCHEDULE } from "../schedule";
import type { CommonConfig, GradientTask, Replica, TaskRun } from "./types";

/** The face models: the blind denoising autoencoder and the seed's plain (reconstruction-only) autoencoder. */

const FACES_DIR = path.resolve(import.meta.dirname, "../../../shared/data/faces");
const FACE_VALUES = FACE_SIDE * FACE_SIDE * 3;
/** Held-out faces scored after each epoch: enough for a stable PSNR, few enough to stay cheap on a CPU. */
const VALIDATION_FACES = 256;
/** Which people the validation faces are: fixed, so that every run (and a resumed one) holds out the same. */
const VALIDATION_SEED = 256;
/** The validation noise: the same draws every epoch and every run, so that their figures compare. */
const VALIDATION_NOISE_SEED = 12345;

export type DaeTaskConfig = CommonConfig &
  DaeArchitecture & {
    /** The share of training images corrupted by impulse noise, salt-and-pepper and masking alike (corruption.ts). */
    impulseShare: number;
    /** Which layers train: all, or only the refinement head (on a body from --init-from, at a far lower cost a step). */
    trainLayers: "all" | "refine";
  };

const commonFaceDefaults = {
  epochs: 20,
  batchSize: 32,
  learningRate: 1e-3,
  ...DEFAULT_SCHEDULE,
  seed: 1,
  maxMinutes: 0,
  data: path.join(FACES_DIR, "faces-64-train.u8"),
  // None: the validation faces are held out of the training data (the test faces are for the final report only).
  testData: "",
  limit: 0,
  // None: fresh seeded weights (see --init-from).
  initFrom: "",
};

/** A batch of clean faces in [0, 1], each flipped left-right with probability 1/2 (faces are roughly symmetric). */
function cleanBatch(faces: FaceSet, indices: Int32Array, random: Random): Float32Array {
  const out = new Float32Array(indices.length * FACE_VALUES);
  indices.forEach((index, b) => {
    const source = faces.pixels.subarray(index * FACE_VALUES, (index + 1) * FACE_VALUES);
    const flip = random.uniform() < 0.5;
    for (let y = 0; y < FACE_SIDE; y++) {
      for (let x = 0; x < FACE_SIDE; x++) {
        const from = (y * FACE_SIDE + (flip ? FACE_SIDE - 1 - x : x)) * 3;
        const to = b * FACE_VALUES + (y * FACE_SIDE + x) * 3;
        for (let c = 0; c < 3; c++) out[to + c] = source[from + c] / 255;
      }
    }
  });
  return out;
}

function corruptBatch(clean: Float32Array, count: number, random: Random, impulseShare: number): Float32Array {
  const noisy = new Float32Array(clean.length);
  for (let b = 0; b < count; b++) {
    noisy.set(corrupt(clean.subarray(b * FACE_VALUES, (b + 1) * FACE_VALUES), random, impulseShare), b * FACE_VALUES);
  }
  return noisy;
}

/**
 * Mean PSNR of the model's output against the clean validation faces under each of the evaluation's noise settings
 * (8-bit noisy inputs, a fixed seed each): `val_psnr_<setting>`, the four figures a model is chosen by.
 */
async function validationScores(model: tf.LayersModel, faces: FaceSet): Promise<Record<string, number>> {
  const clean = Float32Array.from(faces.pixels, (v) => v / 255);
  const face = (a: Float32Array, i: number) => pixelImage(a.subarray(i * FACE_VALUES, (i + 1) * FACE_VALUES), FACE_SIDE, FACE_SIDE);
  const scores: Record<string, number> = {};
  for (const [index, setting] of NOISE_SETTINGS.entries()) {
    const noisy = quantize8Bit(applyNoise(clean, setting.noise, VALIDATION_NOISE_SEED + index));
    const output = await readTensor(() => model.predict(tf.tensor4d(noisy, [faces.count, FACE_SIDE, FACE_SIDE, 3]), { batchSize: 64 }) as tf.Tensor);
    let total = 0;
    for (let i = 0; i < faces.count; i++) total += psnr(face(output, i), face(clean, i));
    scores[`val_psnr_${setting.id}`] = total / faces.count;
  }
  return scores;
}

export interface FaceData {
  faces: FaceSet;
  heldOut: FaceSet;
}

/**
 * The training faces and the validation faces scored after each epoch: by default 256 faces (a fifth of a smaller
 * source) held out of the
 * training data, whole people at a time (holdOutFaces in training/data/faces.ts); with --test-data, the first 256 of that
 * file. `--limit` applies to what is left for training.
 */
async function loadFaceData(config: CommonConfig): Promise<FaceData> {
  if (config.testData) {
    return {
      faces: await loadFaces(config.data, { size: FACE_SIDE, split: "train", limit: config.limit || undefined }),
      heldOut: await loadFaces(config.testData, { size: FACE_SIDE, split: "test", limit: VALIDATION_FACES }),
    };
  }
  const all = await loadFaces(config.data, { size: FACE_SIDE, split: "train" });
  // A small source (a folder of a few photos) keeps four fifths for training.
  const { train, validation } = holdOutFaces(all, Math.max(1, Math.min(VALIDATION_FACES, Math.floor(all.count / 5))), VALIDATION_SEED);
  return { faces: firstFaces(train, config.limit || undefined), heldOut: validation };
}

/**
 * A face model's replica: trained to map its input to the clean face (squared error). The input is the noisy face
 * for the DAE, the clean one for the plain autoencoder: what `faceRun` puts in the batch.
 */
function faceReplica(name: string, model: tf.LayersModel): Replica {
  return {
    models: { [name]: model },
    loss: ({ input, clean }) => ({ mse: tf.losses.meanSquaredError(clean, model.apply(input, { training: true }) as tf.Tensor) as tf.Scalar }),
  };
}

/** Batches of clean faces, flipped at random, and the model's input made from them; validation PSNR per epoch. */
function faceRun(
  { faces, heldOut }: FaceData,
  model: tf.LayersModel,
  makeInput: (clean: Float32Array, count: number, random: Random) => Float32Array,
): TaskRun {
  return {
    examplesPerEpoch: faces.count,
    batch(indices, random) {
      const clean = cleanBatch(faces, indices, random);
      const shape = [indices.length, FACE_SIDE, FACE_SIDE, 3];
      return { count: indices.length, inputs: { input: { data: makeInput(clean, indices.length, random), shape }, clean: { data: clean, shape } } };
    },
    evaluate: () => validationScores(model, heldOut),
  };
}

const onlyModel = (replica: Replica) => Object.values(replica.models)[0];

export const daeTask: GradientTask<DaeTaskConfig, FaceData> = {
  kind: "gradient",
  run: RUNS.dae,
  description: "blind convolutional denoising autoencoder for 64x64 faces (gaussian, salt-and-pepper, masking, clean)",
  defaults: { ...commonFaceDefaults, ...DEFAULT_DAE_ARCHITECTURE, impulseShare: DEFAULT_IMPULSE_SHARE, trainLayers: "all" },
  loadData: loadFaceData,
  replica(config) {
    const model = buildDae(config, seededKernels(config.seed));
    if (config.trainLayers === "refine") trainOnlyRefinement(model);
    return faceReplica(MODELS.dae.key, model);
  },
  prepare(config, data, replica, { log }) {
    log(`validation: ${data.heldOut.source}`);
    return faceRun(data, onlyModel(replica), (clean, count, random) => corruptBatch(clean, count, random, config.impulseShare ?? DEFAULT_IMPULSE_SHARE));
  },
  async export(replica, _data, modelsDir, training) {
    return { [MODELS.dae.key]: await exportLayersModel(onlyModel(replica), modelsDir, MODELS.dae, training) };
  },
};

export const faceAutoencoderTask: GradientTask<CommonConfig, FaceData> = {
  kind: "gradient",
  run: RUNS.faceAutoencoder,
  description: "the seed's plain undercomplete convolutional autoencoder for 64x64 faces (reconstruction only)",
  defaults: commonFaceDefaults,
  loadData: loadFaceData,
  replica: (config) => faceReplica(MODELS.faceAutoencoder.key, buildPlainFaceAutoencoder(seededKernels(config.seed))),
  prepare(_config, data, replica, { log }) {
    log(`validation: ${data.heldOut.source}`);
    return faceRun(data, onlyModel(replica), (clean) => clean);
  },
  async export(replica, _data, modelsDir, training) {
    return { [MODELS.faceAutoencoder.key]: await exportLayersModel(onlyModel(replica), modelsDir, MODELS.faceAutoencoder, training) };
  },
};
