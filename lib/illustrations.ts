import { EMBEDDINGS, latentCodesPath, LATENT_LABELS_PATH, MODELS } from "./catalogue";
import type { NoiseSpec } from "./noise";
import { SAMPLE_FACE_INDICES, sampleFacePath } from "./samples";

/**
 * The pictures the home page and the denoising page's "how it works" strip show, made from the shipped models by
 * `npm run make:derived` (scripts/make-derived.ts) into public/illustrations/: real outputs of the real models, not
 * drawings. `made-from.json` beside them names the model files they were made from, so a unit test can tell when
 * the models have changed and they have not.
 */

export const ILLUSTRATIONS_DIR = "illustrations";
export const illustrationPath = (name: string) => `/${ILLUSTRATIONS_DIR}/${name}.png`;
export const MADE_FROM = "made-from.json";

/** The face they all show: a test-set face (the model never saw it), one of the page's samples. */
export const ILLUSTRATION_FACE = SAMPLE_FACE_INDICES[0];
export const illustrationFacePath = sampleFacePath(ILLUSTRATION_FACE);
/** The noise seed of every corrupted picture. */
export const ILLUSTRATION_SEED = 1;

/** The home page's pair: the face with this noise, and the DAE's answer. */
export const HOME_NOISE: NoiseSpec = { kind: "gaussian", level: 0.15 };
export const HOME_PICTURES = { noisy: "home-noisy", denoised: "home-denoised", latent: "home-latent-plane" } as const;

/** The strip: each corruption the DAE was trained on (at a strength inside its training range), in plain words. */
export const TRAINING_CORRUPTIONS: readonly { id: string; noise: NoiseSpec; label: string }[] = [
  { id: "gaussian", noise: { kind: "gaussian", level: 0.2 }, label: "grain (gaussian noise, σ 0.2)" },
  { id: "salt-pepper", noise: { kind: "salt-pepper", level: 0.1 }, label: "specks (1 pixel in 10 black or white)" },
  { id: "masking", noise: { kind: "masking", level: 0.5 }, label: "holes (half the values zeroed)" },
];
export const stripPicture = (id: string, stage: "noisy" | "denoised") => `how-${id}-${stage}`;
export const STRIP_CLEAN = "how-clean";

/** What the pictures were made from: the DAE's files and the VAE's codes and labels, path -> sha256. */
export interface MadeFrom {
  dae: Record<string, string>;
  latent: Record<string, string>;
}

/** The manifest model and artifacts the latent plane picture is drawn from: the VAE's test codes. */
export const LATENT_PICTURE_MODEL = EMBEDDINGS[0].model.key;
export const LATENT_PICTURE_FILES = [latentCodesPath(EMBEDDINGS[0].id), LATENT_LABELS_PATH] as const;
export const DAE_KEY = MODELS.dae.key;
