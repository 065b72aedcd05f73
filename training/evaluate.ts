/**
 * The evaluation command: `npm run evaluate -- [--models DIR] [--faces PATH] [--limit N] [--out DIR]`.
 *
 * Reads top to bottom: the noise settings (with the anchor figures they are compared with) and the targets; the
 * command line; the face denoising evaluation (noisy input, the classical filters at their best parameter, the DAE);
 * the MNIST evaluation (the VAE's negative ELBO, 5-NN accuracy of the 2-D codes, squared reconstruction error); the
 * targets checked; and the report: REPORT.md, evaluation.json and figures/*.png in the output folder.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { bestClassical } from "../lib/best-classical";
import { bytesToFloats, type FloatImage, floatImage } from "../lib/image";
import type { Manifest, ModelEntry, TrainingRecord } from "../lib/manifest";
import { psnr, ssim } from "../lib/metrics";
import { loadModelFromFile } from "../lib/model-files";
import { LATENT_DIM, MNIST_PIXELS } from "../lib/models";
import { applyNoise, type NoiseSpec, quantize8Bit } from "../lib/noise";
import { describeBackend, selectBackend } from "./backend";
import { DataError, runDataCommand } from "./data/errors";
import { type FaceSet, loadFaces } from "./data/faces";
import type { MnistSplit } from "./data/idx";
import { bestParameterByPsnr, GAUSSIAN_BLUR, meanPerImage, MEDIAN_FILTER } from "./evaluation/classical";
import { latentGridCoordinates, writeImageRows, writeLatentScatter } from "./evaluation/figures";
import { knnAccuracy } from "./evaluation/knn";
import { readManifest } from "./export";
import { readTensor } from "./read-tensor";
import { encodeAll } from "./data/mnist-tensors";
import { loadMnistSets } from "./tasks/mnist";
import { type PcaModel, projectPca, reconstructPca } from "./tasks/pca";
import { autoencode, squaredErrorPerDigit, vaeNegativeElbo } from "./evaluation/mnist-measures";

const DEFAULT_FACES = path.resolve(import.meta.dirname, "../../shared/data/faces/faces-64-test.u8");

/** PSNR in dB from ../shared/docs/dae-anchors.md: 500 held-out CelebA faces, 8-bit noisy inputs. */
interface Anchors {
  noisy: number;
  blur: number;
  median: number;
  bestClassical: { name: string; psnr: number };
  /** PyTorch, 55 s on an H100, blind: the plain undercomplete conv AE and the overcomplete 6 convs x 64. */
  plainAutoencoder: number;
  overcomplete: number;
  bestPyTorch: { name: string; psnr: number };
}

interface NoiseSetting {
  /** Names the setting in evaluation.json and in figure file names. */
  id: string;
  label: string;
  noise: NoiseSpec;
  /** PSNR in dB the DAE must beat the best classical filter by (0: beat it at all). */
  requiredMargin: number;
  anchors: Anchors;
}

const NOISE_SETTINGS: NoiseSetting[] = [
  {
    id: "gaussian-0.1",
    label: "gaussian σ 0.1",
    noise: { kind: "gaussian", level: 0.1 },
    requiredMargin: 2,
    anchors: {
      noisy: 20.5,
      blur: 25.95,
      median: 25.01,
      bestClassical: { name: "non-local means, TV", psnr: 26.23 },
      plainAutoencoder: 27.94,
      overcomplete: 29.71,
      bestPyTorch: { name: "10 convs x 96, 100 s", psnr: 30.23 },
    },
  },
  {
    id: "gaussian-0.2",
    label: "gaussian σ 0.2",
    noise: { kind: "gaussian", level: 0.2 },
    requiredMargin: 2,
    anchors: {
      noisy: 15.01,
      blur: 22.53,
      median: 21.88,
      bestClassical: { name: "TV", psnr: 22.56 },
      plainAutoencoder: 25.51,
      overcomplete: 26.21,
      bestPyTorch: { name: "10 convs x 96, 100 s", psnr: 26.75 },
    },
  },
  {
    id: "masking-0.5",
    label: "masking 0.5",
    noise: { kind: "masking", level: 0.5 },
    requiredMargin: 0,
    anchors: {
      noisy: 9.2,
      blur: 11.75,
      median: 9.05,
      bestClassical: { name: "gaussian blur", psnr: 11.75 },
      plainAutoencoder: 23.83,
      overcomplete: 29.49,
      bestPyTorch: { name: "6 convs x 64, 100 s", psnr: 32.85 },
    },
  },
  {
    id: "salt-pepper-0.1",
    label: "salt-and-pepper 0.1",
    noise: { kind: "salt-pepper", level: 0.1 },
    requiredMargin: 0,
    anchors: {
      noisy: 14.8,
      blur: 22.44,
      median: 28.16,
      bestClassical: { name: "median", psnr: 28.16 },
      plainAutoencoder: 26.16,
      overcomplete: 35.68,
      bestPyTorch: { name: "6 convs x 64, 100 s", psnr: 38.38 },
    },
  },
];

/** Noise seed of image i under setting s: fixed, so every run sees the same noisy faces. */
const noiseSeed = (settingIndex: number, imageIndex: number) => 1_000_000 * (settingIndex + 1) + imageIndex;

const MAX_NEGATIVE_ELBO = 150;
/** "Far above PCA" made concrete: the learned 2-D codes must classify at least this much better by 5-NN. */
const KNN_MARGIN_OVER_PCA = 0.2;
const KNN_K = 5;
/** Latent draws per digit for the negative ELBO: averaging a few makes the figure independent of one draw's luck. */
const ELBO_SAMPLES = 4;
const PREDICT_BATCH = 1000;
const DAE_BATCH = 32;
const FIGURE_FACES = 8;
const LATENT_GRID_STEPS = 20;
const MNIST_SIDE = 28;

// ---------------------------------------------------------------------------------------------------------------
// The command line

const USAGE = `usage: npm run evaluate -- [options]

options:
  --models DIR   the trained models and their manifest.json (default: models)
  --faces PATH   the face test set: .u8 (+ .json), .npz (its x_test) or a folder of photos
                 (default: ../shared/data/faces/faces-64-test.u8)
  --limit N      only the first N test faces, and the first N training and test digits (quick runs)
  --out DIR      where REPORT.md, evaluation.json and figures/ go (default: the models folder)
  -h, --help`;

export interface EvaluationOptions {
  modelsDir: string;
  faces: string;
  /** Only the first `limit` test faces and training and test digits; undefined for all. */
  limit?: number;
  out: string;
  /** How the run was started and on what, for the report. */
  command: string;
  backend: string;
}

function parseCommandLine(argv: string[]): Omit<EvaluationOptions, "backend"> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: "string" },
      faces: { type: "string" },
      limit: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const limit = values.limit === undefined ? undefined : z.coerce.number().int().positive().safeParse(values.limit);
  if (limit?.success === false) throw new Error(`--limit ${values.limit}: expected a positive integer`);
  const modelsDir = path.resolve(values.models ?? "models");
  return {
    modelsDir,
    faces: path.resolve(values.faces ?? DEFAULT_FACES),
    limit: limit?.data,
    out: path.resolve(values.out ?? modelsDir),
    command: ["npm run evaluate", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
  };
}

async function main(): Promise<void> {
  const options = parseCommandLine(process.argv.slice(2));
  const backend = describeBackend(await selectBackend());
  console.log(`backend: ${backend}`);
  await evaluate({ ...options, backend });
}

// ---------------------------------------------------------------------------------------------------------------
// The whole evaluation

interface Scores {
  psnr: number;
  ssim: number;
}

export interface FaceResult {
  id: string;
  label: string;
  noise: NoiseSpec;
  noisy: Scores;
  blur: Scores & { sigma: number };
  median: Scores & { window: number };
  dae: Scores;
}

export interface MnistResult {
  trainDigits: number;
  testDigits: number;
  /** Nats per test digit. */
  vae: { negativeElbo: number; reconstruction: number; kl: number };
  /** 5-NN accuracy of the 2-D test codes among the training codes. */
  knn5: { vae: number; ae2d: number; pca2d: number };
  /** Squared error summed over a digit's pixels, averaged over test digits. */
  squaredError: { ae2d: number; pca2d: number };
}

interface TargetCheck {
  target: string;
  measured: string;
  pass: boolean;
}

type TrainingSummary = Pick<TrainingRecord, "backend" | "seconds" | "examplesSeen" | "epochs" | "trainedAt">;

export interface Evaluation {
  generatedAt: string;
  command: string;
  environment: { node: string; platform: string; cpu: string; tfjs: string; backend: string };
  seconds: number;
  faces: { source: string; count: number; settings: FaceResult[] };
  mnist: MnistResult;
  targets: TargetCheck[];
  training: Record<string, TrainingSummary>;
}

type Log = (line: string) => void;

/** Runs the evaluation with the backend already active, writes the report, JSON and figures, and returns the numbers. */
export async function evaluate(options: EvaluationOptions, log: Log = console.log): Promise<Evaluation> {
  const started = performance.now();
  const manifest = await readManifest(options.modelsDir);
  // Every model is checked before the first is used: a missing one fails the run at once, not minutes in.
  for (const name of Object.values(MANIFEST_NAMES).flat()) modelEntry(manifest, options.modelsDir, name);
  const figuresDir = path.join(options.out, "figures");
  const faces = await evaluateFaces(options, manifest, figuresDir, log);
  const mnist = await evaluateMnist(options, manifest, figuresDir, log);
  const evaluation: Evaluation = {
    generatedAt: new Date().toISOString(),
    command: options.command,
    environment: describeEnvironment(options.backend),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    faces,
    mnist,
    targets: checkTargets(faces.settings, mnist),
    training: trainingSummaries(manifest),
  };
  await mkdir(options.out, { recursive: true });
  await writeFile(path.join(options.out, "evaluation.json"), `${JSON.stringify(evaluation, null, 2)}\n`);
  await writeFile(path.join(options.out, "REPORT.md"), renderReport(evaluation));
  log(["", ...resultSections(evaluation), `evaluated in ${evaluation.seconds} s; report in ${path.join(options.out, "REPORT.md")}`].join("\n\n"));
  return evaluation;
}

function describeEnvironment(backend: string): Evaluation["environment"] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.arch()}`,
    cpu: `${cpus.length} x ${cpus[0]?.model.trim() ?? "unknown CPU"}`,
    tfjs: tf.version.tfjs,
    backend,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Models from the manifest

/** The models evaluated, and their entries in the manifest. */
const MANIFEST_NAMES = {
  dae: ["dae"],
  vae: ["vae-encoder", "vae-decoder"],
  ae2d: ["ae2d-encoder", "ae2d-decoder"],
  pca2d: ["pca2d"],
} as const;

function modelEntry(manifest: Manifest, modelsDir: string, name: string): ModelEntry {
  const entry = manifest.models[name];
  if (entry === undefined) {
    throw new DataError({ file: path.join(modelsDir, "manifest.json"), expected: `an entry for '${name}'`, found: "none (train it first)" });
  }
  return entry;
}

function loadLayersModel(manifest: Manifest, modelsDir: string, name: string): Promise<tf.LayersModel> {
  return loadModelFromFile(path.join(modelsDir, modelEntry(manifest, modelsDir, name).entry));
}

const pcaSchema = z.object({
  mean: z.array(z.number()).length(MNIST_PIXELS),
  components: z.array(z.array(z.number()).length(MNIST_PIXELS)).length(LATENT_DIM),
  explainedVariance: z.array(z.number()),
});

async function loadPca(manifest: Manifest, modelsDir: string): Promise<PcaModel> {
  const file = path.join(modelsDir, modelEntry(manifest, modelsDir, "pca2d").entry);
  const parsed = pcaSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new DataError({ file, expected: "a 2-D PCA (mean and two axes of 784)", found: parsed.error.issues[0].message });
  return parsed.data;
}

function trainingSummaries(manifest: Manifest): Record<string, TrainingSummary> {
  return Object.fromEntries(
    Object.entries(MANIFEST_NAMES).map(([model, [entry]]) => {
      // An encoder and its decoder share one training run, recorded on both: the first entry stands for the model.
      const { backend, seconds, examplesSeen, epochs, trainedAt } = manifest.models[entry].training;
      return [model, { backend, seconds, examplesSeen, epochs, trainedAt }];
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Face denoising

function faceImages(set: FaceSet): FloatImage[] {
  const values = set.size * set.size * 3;
  return Array.from({ length: set.count }, (_, i) =>
    floatImage(bytesToFloats(set.pixels.subarray(i * values, (i + 1) * values)), set.size, set.size),
  );
}

function scores(outputs: readonly FloatImage[], clean: readonly FloatImage[]): Scores {
  return { psnr: meanPerImage(psnr, outputs, clean), ssim: meanPerImage(ssim, outputs, clean) };
}

/** Runs the DAE over the images in batches. */
async function denoise(dae: tf.LayersModel, noisy: readonly FloatImage[]): Promise<FloatImage[]> {
  const denoised: FloatImage[] = [];
  for (let start = 0; start < noisy.length; start += DAE_BATCH) {
    const batch = noisy.slice(start, start + DAE_BATCH);
    const { width, height, channels } = batch[0];
    const values = width * height * channels;
    const input = new Float32Array(batch.length * values);
    batch.forEach((image, i) => input.set(image.data, i * values));
    const output = await readTensor(() => dae.predict(tf.tensor4d(input, [batch.length, height, width, channels])) as tf.Tensor);
    batch.forEach((image, i) => denoised.push({ ...image, data: Float32Array.from(output.subarray(i * values, (i + 1) * values)) }));
  }
  return denoised;
}

/** Which faces the figures show: spread over the set rather than its first few. */
function figureIndices(count: number): number[] {
  const shown = Math.min(FIGURE_FACES, count);
  return Array.from({ length: shown }, (_, i) => Math.floor((i * count) / shown));
}

async function evaluateNoiseSetting(
  setting: NoiseSetting,
  settingIndex: number,
  clean: FloatImage[],
  dae: tf.LayersModel,
  figuresDir: string,
  log: Log,
): Promise<FaceResult> {
  const started = performance.now();
  const noisy = clean.map((image, i) => ({
    ...image,
    // Rounded to 8 bits, as a noisy photo saved to a file is: the DAE and the filters see what a user would upload.
    data: quantize8Bit(applyNoise(image.data, setting.noise, noiseSeed(settingIndex, i), image.channels)),
  }));
  const blur = bestParameterByPsnr(GAUSSIAN_BLUR, noisy, clean);
  const median = bestParameterByPsnr(MEDIAN_FILTER, noisy, clean);
  const denoised = await denoise(dae, noisy);
  const shown = figureIndices(clean.length);
  await writeImageRows(
    path.join(figuresDir, `denoising-${setting.id}.png`),
    [clean, noisy, denoised].map((images) => shown.map((i) => images[i])),
    { scale: 2, gap: 4, rowLabels: ["clean", "noisy", "DAE"] },
  );
  const result: FaceResult = {
    id: setting.id,
    label: setting.label,
    noise: setting.noise,
    noisy: scores(noisy, clean),
    blur: { sigma: blur.parameter, ...scores(blur.outputs, clean) },
    median: { window: median.parameter, ...scores(median.outputs, clean) },
    dae: scores(denoised, clean),
  };
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  log(
    `faces, ${setting.label}: noisy ${dB(result.noisy.psnr)} | blur σ ${blur.parameter} ${dB(result.blur.psnr)} | ` +
      `median ${median.parameter} ${dB(result.median.psnr)} | DAE ${dB(result.dae.psnr)} dB PSNR (${seconds} s)`,
  );
  return result;
}

async function evaluateFaces(options: EvaluationOptions, manifest: Manifest, figuresDir: string, log: Log): Promise<Evaluation["faces"]> {
  const set = await loadFaces(options.faces, { split: "test", limit: options.limit });
  const clean = faceImages(set);
  log(`faces: ${set.count} test faces from ${set.source}`);
  const dae = await loadLayersModel(manifest, options.modelsDir, "dae");
  try {
    const settings: FaceResult[] = [];
    for (const [index, setting] of NOISE_SETTINGS.entries()) {
      settings.push(await evaluateNoiseSetting(setting, index, clean, dae, figuresDir, log));
    }
    return { source: path.relative(process.cwd(), set.source) || set.source, count: set.count, settings };
  } finally {
    dae.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// MNIST

interface MnistModels {
  vaeEncoder: tf.LayersModel;
  vaeDecoder: tf.LayersModel;
  aeEncoder: tf.LayersModel;
  aeDecoder: tf.LayersModel;
  pca: PcaModel;
}

async function loadMnistModels(manifest: Manifest, modelsDir: string): Promise<MnistModels> {
  return {
    vaeEncoder: await loadLayersModel(manifest, modelsDir, "vae-encoder"),
    vaeDecoder: await loadLayersModel(manifest, modelsDir, "vae-decoder"),
    aeEncoder: await loadLayersModel(manifest, modelsDir, "ae2d-encoder"),
    aeDecoder: await loadLayersModel(manifest, modelsDir, "ae2d-decoder"),
    pca: await loadPca(manifest, modelsDir),
  };
}

function firstDigits(split: MnistSplit, count: number): MnistSplit {
  const kept = Math.min(count, split.count);
  return { images: split.images.subarray(0, kept * MNIST_PIXELS), labels: split.labels.subarray(0, kept), count: kept };
}

type Encoders = Record<keyof MnistResult["knn5"], (x: tf.Tensor2D) => tf.Tensor>;

function encoders({ vaeEncoder, aeEncoder, pca }: MnistModels): Encoders {
  return {
    // The VAE's code is its posterior mean, as in the latent explorer.
    vae: (x) => (vaeEncoder.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor[])[0],
    ae2d: (x) => aeEncoder.predict(x, { batchSize: PREDICT_BATCH }) as tf.Tensor,
    pca2d: (x) => projectPca(pca, x),
  };
}

/** Kingma & Welling's Fig. 4: the VAE decoder over a grid on the latent plane. */
async function writeLatentGrid(file: string, vaeDecoder: tf.LayersModel): Promise<void> {
  const steps = LATENT_GRID_STEPS;
  const digits = await readTensor(() => vaeDecoder.predict(tf.tensor2d(latentGridCoordinates(steps), [steps * steps, LATENT_DIM])) as tf.Tensor);
  const digit = (i: number) => floatImage(Float32Array.from(digits.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS)), MNIST_SIDE, MNIST_SIDE, 1);
  const rows = Array.from({ length: steps }, (_, row) => Array.from({ length: steps }, (_, column) => digit(row * steps + column)));
  await writeImageRows(file, rows, { scale: 1, gap: 0 });
}

async function evaluateMnist(options: EvaluationOptions, manifest: Manifest, figuresDir: string, log: Log): Promise<MnistResult> {
  const sets = await loadMnistSets({ data: "", limit: options.limit ?? 0 });
  const [train, test] = [sets.train, options.limit ? firstDigits(sets.test, options.limit) : sets.test];
  log(`mnist: ${test.count} test digits, ${train.count} training digits for the ${KNN_K}-NN search`);
  const models = await loadMnistModels(manifest, options.modelsDir);
  try {
    const vae = await vaeNegativeElbo(models.vaeEncoder, models.vaeDecoder, test, ELBO_SAMPLES);
    log(`mnist: VAE negative ELBO ${vae.negativeElbo.toFixed(2)} nats (reconstruction ${vae.reconstruction.toFixed(2)}, KL ${vae.kl.toFixed(2)})`);
    const codes: { name: string; train: Float32Array; test: Float32Array }[] = [];
    for (const [name, encode] of Object.entries(encoders(models))) {
      codes.push({ name, train: await encodeAll(train, encode), test: await encodeAll(test, encode) });
    }
    const accuracy = (c: (typeof codes)[number]) => knnAccuracy({ codes: c.train, labels: train.labels }, { codes: c.test, labels: test.labels }, KNN_K);
    const knn5 = Object.fromEntries(codes.map((c) => [c.name, accuracy(c)])) as MnistResult["knn5"];
    log(`mnist: ${KNN_K}-NN accuracy of the 2-D codes: VAE ${knn5.vae.toFixed(3)}, AE ${knn5.ae2d.toFixed(3)}, PCA ${knn5.pca2d.toFixed(3)}`);
    const squaredError = {
      ae2d: await squaredErrorPerDigit(test, autoencode(models.aeEncoder, models.aeDecoder)),
      pca2d: await squaredErrorPerDigit(test, (x) => reconstructPca(models.pca, projectPca(models.pca, x))),
    };
    const titles: Record<string, string> = { vae: "VAE (posterior means)", ae2d: "autoencoder 784-1000-500-250-2", pca2d: "PCA" };
    const panels = codes.map((c) => ({ title: `${titles[c.name]}: 5-NN ${knn5[c.name as keyof Encoders].toFixed(3)}`, codes: c.test, labels: test.labels }));
    await writeLatentScatter(path.join(figuresDir, "latent-scatter.png"), panels);
    await writeLatentGrid(path.join(figuresDir, "vae-latent-grid.png"), models.vaeDecoder);
    return { trainDigits: train.count, testDigits: test.count, vae, knn5, squaredError };
  } finally {
    for (const model of [models.vaeEncoder, models.vaeDecoder, models.aeEncoder, models.aeDecoder]) model.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Targets

function checkTargets(faces: FaceResult[], mnist: MnistResult): TargetCheck[] {
  const faceChecks = faces.map((result, i) => {
    const { requiredMargin, label } = NOISE_SETTINGS[i];
    const best = bestClassical(result);
    const margin = result.dae.psnr - best.psnr;
    return {
      target: requiredMargin > 0 ? `${label}: DAE ≥ best classical filter + ${requiredMargin} dB PSNR` : `${label}: DAE beats the best classical filter (PSNR)`,
      measured: `DAE ${dB(result.dae.psnr)} dB, ${best.name} ${dB(best.psnr)} dB: ${signed(margin)} dB`,
      pass: requiredMargin > 0 ? margin >= requiredMargin : margin > 0,
    };
  });
  const knnCheck = (name: string, accuracy: number) => ({
    target: `${name} 5-NN accuracy far above PCA's (here: ≥ PCA + ${KNN_MARGIN_OVER_PCA})`,
    measured: `${name} ${accuracy.toFixed(3)}, PCA ${mnist.knn5.pca2d.toFixed(3)}: ${signed(accuracy - mnist.knn5.pca2d, 3)}`,
    pass: accuracy >= mnist.knn5.pca2d + KNN_MARGIN_OVER_PCA,
  });
  return [
    ...faceChecks,
    {
      target: `VAE test negative ELBO ≤ ${MAX_NEGATIVE_ELBO} nats`,
      measured: `${mnist.vae.negativeElbo.toFixed(1)} nats (reconstruction ${mnist.vae.reconstruction.toFixed(1)} + KL ${mnist.vae.kl.toFixed(1)})`,
      pass: mnist.vae.negativeElbo <= MAX_NEGATIVE_ELBO,
    },
    knnCheck("VAE", mnist.knn5.vae),
    knnCheck("AE", mnist.knn5.ae2d),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// The report

const dB = (value: number) => value.toFixed(2);
const formatCount = (value: number) => value.toLocaleString("en");
const signed = (value: number, digits = 2) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(digits)}`;

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function targetsSection({ targets }: Evaluation): string {
  const passed = targets.filter((t) => t.pass).length;
  return [
    `## Targets: ${passed} of ${targets.length} met`,
    "",
    table(["target", "measured", "result"], targets.map((t) => [t.target, t.measured, t.pass ? "✅ pass" : "❌ fail"])),
  ].join("\n");
}

function facesSection({ faces }: Evaluation): string {
  const metricTable = (metric: keyof Scores, format: (v: number) => string) =>
    table(
      ["noise", "noisy input", "gaussian blur (best σ)", "median (best window)", "DAE", "DAE − best classical"],
      faces.settings.map((r) => [
        r.label,
        format(r.noisy[metric]),
        `${format(r.blur[metric])} (σ ${r.blur.sigma})`,
        `${format(r.median[metric])} (${r.median.window}x${r.median.window})`,
        `**${format(r.dae[metric])}**`,
        signed(r.dae[metric] - Math.max(r.blur[metric], r.median[metric]), metric === "psnr" ? 2 : 3),
      ]),
    );
  return [
    "## Face denoising",
    "",
    `${formatCount(faces.count)} test faces (${faces.source}), 64x64 RGB. Each noisy face is drawn with a fixed seed per face and ` +
      "setting and rounded to 8 bits, as a real noisy photo would be. Each classical filter's parameter is the one " +
      "with the best mean PSNR on this very set (an oracle, as in the anchors): blur σ from 0.5 to 2.5 in steps of " +
      "0.25, median windows 3x3 and 5x5, both per channel with reflected borders. Metrics are averaged per image; SSIM " +
      "is Wang et al. (2004): 11x11 gaussian window, σ 1.5, per channel.",
    "",
    "PSNR (dB):",
    "",
    metricTable("psnr", dB),
    "",
    "SSIM:",
    "",
    metricTable("ssim", (v) => v.toFixed(3)),
  ].join("\n");
}

function anchorsSection({ faces }: Evaluation): string {
  const rows = faces.settings.map((r, i) => {
    const a = NOISE_SETTINGS[i].anchors;
    return [
      r.label,
      `${dB(r.noisy.psnr)} / ${dB(a.noisy)}`,
      `${dB(r.blur.psnr)} / ${dB(a.blur)}`,
      `${dB(r.median.psnr)} / ${dB(a.median)}`,
      `${dB(a.bestClassical.psnr)} (${a.bestClassical.name})`,
      `**${dB(r.dae.psnr)}**`,
      dB(a.plainAutoencoder),
      dB(a.overcomplete),
      `${dB(a.bestPyTorch.psnr)} (${a.bestPyTorch.name})`,
    ];
  });
  return [
    "### Against the anchors",
    "",
    "From `../shared/docs/dae-anchors.md`: PSNR in dB on 500 other held-out CelebA faces, 8-bit noisy inputs, classical " +
      "filters at their oracle parameter; PyTorch models trained blind on the same training file for 55 s on one H100 " +
      "unless noted. Cells with two figures read *ours / anchor*.",
    "",
    table(
      ["noise", "noisy input", "gaussian blur", "median", "best classical (anchor)", "our DAE", "PyTorch plain conv AE", "PyTorch overcomplete 6 convs x 64", "best PyTorch"],
      rows,
    ),
  ].join("\n");
}

function mnistSection({ mnist }: Evaluation): string {
  return [
    "## MNIST",
    "",
    `${formatCount(mnist.testDigits)} test digits; the 5-NN search looks among the codes of ${formatCount(mnist.trainDigits)} training digits, ` +
      "encoded by the same model, and breaks ties by the nearest of the tied labels.",
    "",
    table(
      ["VAE test negative ELBO (nats per digit)", "reconstruction (Bernoulli)", "KL"],
      [[`**${mnist.vae.negativeElbo.toFixed(2)}**`, mnist.vae.reconstruction.toFixed(2), mnist.vae.kl.toFixed(2)]],
    ),
    "",
    `The ELBO is averaged over ${ELBO_SAMPLES} latent draws per digit; grey levels are the Bernoulli targets, as in training.`,
    "",
    table(
      ["2-D codes", "5-NN accuracy", "squared reconstruction error per digit"],
      [
        ["VAE (posterior means)", mnist.knn5.vae.toFixed(3), "–"],
        ["autoencoder 784-1000-500-250-2", mnist.knn5.ae2d.toFixed(3), mnist.squaredError.ae2d.toFixed(2)],
        ["PCA", mnist.knn5.pca2d.toFixed(3), mnist.squaredError.pca2d.toFixed(2)],
      ],
    ),
    "",
    "The squared error is summed over a digit's 784 pixels (in [0, 1]) and averaged over the test digits, as Hinton & " +
      "Salakhutdinov (2006) report it.",
  ].join("\n");
}

function figuresSection({ faces }: Evaluation): string {
  const denoising = faces.settings.flatMap((r) => [`**${r.label}**`, "", `![${r.label}: clean, noisy, DAE](figures/denoising-${r.id}.png)`, ""]);
  return [
    "## Figures",
    "",
    "Denoising: clean, noisy and DAE rows for the same test faces, upscaled 2x (nearest neighbour).",
    "",
    ...denoising,
    "The 2-D codes of the MNIST test digits, coloured by digit (compare Hinton & Salakhutdinov 2006, Fig. 3). Axes " +
      "span each code's 0.1 to 99.9 percentiles.",
    "",
    "![latent scatters: VAE, autoencoder, PCA](figures/latent-scatter.png)",
    "",
    `The VAE decoder over a ${LATENT_GRID_STEPS}x${LATENT_GRID_STEPS} grid of the latent plane, z = Φ⁻¹(p) for p from ` +
      "0.05 to 0.95 in each dimension, z₁ to the right and z₂ upwards (as Kingma & Welling 2014, Fig. 4).",
    "",
    "![VAE latent grid](figures/vae-latent-grid.png)",
  ].join("\n");
}

function trainingSection({ training }: Evaluation): string {
  return [
    "## How the models were trained",
    "",
    "From the models folder's `manifest.json`:",
    "",
    table(
      ["model", "backend", "seconds", "examples seen", "epochs", "trained at"],
      Object.entries(training).map(([name, t]) => [name, t.backend, t.seconds.toFixed(0), formatCount(t.examplesSeen), t.epochs, t.trainedAt]),
    ),
  ].join("\n");
}

/** The tables the command prints when it is done, and the heart of the report. */
function resultSections(evaluation: Evaluation): string[] {
  return [targetsSection(evaluation), facesSection(evaluation), anchorsSection(evaluation), mnistSection(evaluation)];
}

function renderReport(evaluation: Evaluation): string {
  const { environment: env } = evaluation;
  const header = [
    "# Evaluation report",
    "",
    `Generated ${evaluation.generatedAt} by \`${evaluation.command}\` in ${evaluation.seconds} s: Node ${env.node}, ` +
      `${env.platform}, ${env.cpu}, TensorFlow.js ${env.tfjs} on the ${env.backend} backend. The numbers are also in ` +
      "`evaluation.json`.",
  ].join("\n");
  return `${[header, ...resultSections(evaluation), figuresSection(evaluation), trainingSection(evaluation)].join("\n\n")}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) void runDataCommand(main);
