import { type EmbeddingId, RUNS } from "../../lib/catalogue";
import type { NoiseSpec } from "../../lib/noise";

/**
 * What the evaluation measures and what it must reach: the face noise settings, the targets and the fixed choices
 * of the measurements. The anchors the settings are compared with are data: anchors.json.
 */

export interface NoiseSetting {
  /** Names the setting in evaluation.json, in anchors.json and in figure file names. */
  id: string;
  label: string;
  noise: NoiseSpec;
  /** PSNR in dB the DAE must beat the best classical filter by (0: beat it at all). */
  requiredMargin: number;
}

export const NOISE_SETTINGS = [
  { id: "gaussian-0.1", label: "gaussian σ 0.1", noise: { kind: "gaussian", level: 0.1 }, requiredMargin: 2 },
  { id: "gaussian-0.2", label: "gaussian σ 0.2", noise: { kind: "gaussian", level: 0.2 }, requiredMargin: 2 },
  { id: "masking-0.5", label: "masking 0.5", noise: { kind: "masking", level: 0.5 }, requiredMargin: 0 },
  { id: "salt-pepper-0.1", label: "salt-and-pepper 0.1", noise: { kind: "salt-pepper", level: 0.1 }, requiredMargin: 0 },
] as const satisfies readonly NoiseSetting[];

export type NoiseSettingId = (typeof NOISE_SETTINGS)[number]["id"];
export const NOISE_SETTING_IDS = NOISE_SETTINGS.map((s) => s.id) as [NoiseSettingId, ...NoiseSettingId[]];

/** Noise seed of image i under setting s: fixed, so every run sees the same noisy faces. */
export const noiseSeed = (settingIndex: number, imageIndex: number) => 1_000_000 * (settingIndex + 1) + imageIndex;

export const MAX_NEGATIVE_ELBO = 150;
/** "Far above PCA" made concrete: the learned 2-D codes must classify at least this much better by 5-NN. */
export const KNN_MARGIN_OVER_PCA = 0.2;
export const KNN_K = 5;
/** Latent draws per digit for the negative ELBO: averaging a few makes the figure independent of one draw's luck. */
export const ELBO_SAMPLES = 4;
export const LATENT_GRID_STEPS = 20;

/** How the report and the scatter figure name each 2-D embedding: by what it is, not by its run. */
export const EMBEDDING_TITLES: Record<EmbeddingId, string> = {
  [RUNS.vae.name]: "VAE (posterior means)",
  [RUNS.ae2d.name]: "autoencoder 784-1000-500-250-2",
  [RUNS.pca2d.name]: "PCA",
};
