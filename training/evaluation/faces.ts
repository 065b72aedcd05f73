import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { MODELS } from "../../lib/catalogue";
import type { FaceResult, FaceScores } from "../../lib/evaluation";
import { bytesToFloats, type PixelImage, pixelImage } from "../../lib/image";
import { psnr, ssim } from "../../lib/metrics";
import { applyNoise, quantize8Bit } from "../../lib/noise";
import { runModel } from "../../lib/run-model";
import { type FaceSet, loadFaces } from "../data/faces";
import { bestParameterByPsnr, GAUSSIAN_BLUR, meanPerImage, MEDIAN_FILTER } from "./classical";
import { FIGURE_PATHS, writeImageRows } from "./figures";
import { dB, type Log } from "./format";
import { loadLayersModel, type ModelsFolder } from "./models";
import { NOISE_SETTINGS, type NoiseSetting, noiseSeed } from "./settings";

/**
 * Face denoising: under each noise setting, the noisy input, the classical filters at their best parameter and the
 * DAE, scored against the clean faces, with a figure of a few of them.
 */

const DAE_BATCH = 32;
const FIGURE_FACES = 8;

/** PSNR and SSIM, each the mean over the faces. */
type Scores = FaceResult["noisy"];

/** What every noise setting is evaluated on, and where its figure goes. */
interface FaceRun {
  clean: PixelImage<Float32Array>[];
  dae: tf.LayersModel;
  out: string;
  log: Log;
}

export async function evaluateFaces(models: ModelsFolder, faces: { file: string; limit?: number }, out: string, log: Log): Promise<FaceScores> {
  const set = await loadFaces(faces.file, { split: "test", limit: faces.limit });
  const clean = faceImages(set);
  log(`faces: ${set.count} test faces from ${set.source}`);
  const dae = await loadLayersModel(models, MODELS.dae);
  try {
    const settings: FaceResult[] = [];
    for (const [index, setting] of NOISE_SETTINGS.entries()) settings.push(await evaluateNoiseSetting({ clean, dae, out, log }, setting, index));
    return { source: path.relative(process.cwd(), set.source) || set.source, count: set.count, settings };
  } finally {
    dae.dispose();
  }
}

function faceImages(set: FaceSet): PixelImage<Float32Array>[] {
  const values = set.size * set.size * 3;
  return Array.from({ length: set.count }, (_, i) =>
    pixelImage(bytesToFloats(set.pixels.subarray(i * values, (i + 1) * values)), set.size, set.size),
  );
}

async function evaluateNoiseSetting({ clean, dae, out, log }: FaceRun, setting: NoiseSetting, settingIndex: number): Promise<FaceResult> {
  const started = performance.now();
  const noisy = clean.map((image, i) => ({
    ...image,
    // Rounded to 8 bits, as a noisy photo saved to a file is: the DAE and the filters see what a user would upload.
    data: quantize8Bit(applyNoise(image.data, setting.noise, noiseSeed(settingIndex, i), image.channels)),
  }));
  const blur = bestParameterByPsnr(GAUSSIAN_BLUR, noisy, clean);
  const median = bestParameterByPsnr(MEDIAN_FILTER, noisy, clean);
  const denoised = await denoise(dae, noisy);
  await writeDenoisingFigure(path.join(out, FIGURE_PATHS.denoising(setting.id)), [clean, noisy, denoised]);
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

function scores(outputs: readonly PixelImage<Float32Array>[], clean: readonly PixelImage<Float32Array>[]): Scores {
  return { psnr: meanPerImage(psnr, outputs, clean), ssim: meanPerImage(ssim, outputs, clean) };
}

/** Runs the DAE over the images in batches. */
async function denoise(dae: tf.LayersModel, noisy: readonly PixelImage<Float32Array>[]): Promise<PixelImage<Float32Array>[]> {
  const denoised: PixelImage<Float32Array>[] = [];
  for (let start = 0; start < noisy.length; start += DAE_BATCH) {
    const batch = noisy.slice(start, start + DAE_BATCH);
    const { width, height, channels } = batch[0];
    const values = width * height * channels;
    const input = new Float32Array(batch.length * values);
    batch.forEach((image, i) => input.set(image.data, i * values));
    const [output] = await runModel(dae, { data: input, shape: [batch.length, height, width, channels] });
    batch.forEach((image, i) => denoised.push({ ...image, data: output.data.slice(i * values, (i + 1) * values) }));
  }
  return denoised;
}

/** The clean, noisy and denoised rows of a few faces, spread over the set rather than its first few. */
async function writeDenoisingFigure(file: string, [clean, noisy, denoised]: PixelImage<Float32Array>[][]): Promise<void> {
  const shown = Math.min(FIGURE_FACES, clean.length);
  const indices = Array.from({ length: shown }, (_, i) => Math.floor((i * clean.length) / shown));
  const rows = [clean, noisy, denoised].map((images) => indices.map((i) => images[i]));
  await writeImageRows(file, rows, { scale: 2, gap: 4, rowLabels: ["clean", "noisy", "DAE"] });
}
