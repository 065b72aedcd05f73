import { DEFAULT_TILE, roundUp, type TileOptions } from "./tiling";

/**
 * The model catalogue: every model this project trains and ships, by the one name the manifest, the training
 * script, the evaluation, the server routes and the pages all use. Nothing here imports tfjs, so the pages' main
 * bundle can read it. A new model is one entry in MODELS (and, if it is trained on its own, one in RUNS).
 */

/** The side of the square faces the DAE is trained on: the page's close-up and the route's default output. */
export const FACE_SIDE = 64;
/** MNIST digits: 28x28 grey levels, white ink on black. */
export const DIGIT_SIDE = 28;
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;
/** The latent plane's dimension: two numbers per digit. */
export const LATENT_DIM = 2;

export interface TensorSpec {
  /** The layer's name in the exported model. */
  name: string;
  /** null marks a free dimension (the batch, or the height and width of a fully convolutional model). */
  shape: readonly (number | null)[];
}

export interface ModelSpec {
  /** Its key in models/manifest.json, and the name every runtime calls it by. */
  key: string;
  /** What loads it: a tfjs LayersModel (`model.json`), or plain data such as PCA components. */
  format: "layers-model" | "data";
  /** The file to open, relative to models/: `<folder>/model.json` for a LayersModel. */
  entry: string;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** The input shape of one warm-up run where a client or server loads it (free dimensions filled in). */
  warmup?: readonly number[];
}

const layersModel = (folder: string, spec: Omit<ModelSpec, "format" | "entry">): ModelSpec => ({
  format: "layers-model",
  entry: `${folder}/model.json`,
  ...spec,
});

const digits: TensorSpec = { name: "digit", shape: [null, DIGIT_PIXELS] };
const latent = (name: string): TensorSpec => ({ name, shape: [null, LATENT_DIM] });
const image = (name: string): TensorSpec => ({ name, shape: [null, null, null, 3] });

export const MODELS = {
  /** The blind denoising autoencoder: RGB in [0, 1] of any size (sides a multiple of its downsampling) to the same. */
  dae: layersModel("dae", { key: "dae", inputs: [image("noisy")], outputs: [image("denoised")], warmup: [1, FACE_SIDE, FACE_SIDE, 3] }),
  /** The seed's plain undercomplete face autoencoder (reconstruction only): trainable, not shipped. */
  faceAutoencoder: layersModel("ae-faces", { key: "ae-faces", inputs: [image("image")], outputs: [image("reconstruction")] }),
  vaeEncoder: layersModel("vae/encoder", {
    key: "vae-encoder",
    inputs: [digits],
    outputs: [latent("z_mean"), latent("z_log_var")],
    warmup: [1, DIGIT_PIXELS],
  }),
  vaeDecoder: layersModel("vae/decoder", { key: "vae-decoder", inputs: [latent("z")], outputs: [digits], warmup: [1, LATENT_DIM] }),
  ae2dEncoder: layersModel("ae2d/encoder", { key: "ae2d-encoder", inputs: [digits], outputs: [latent("code")] }),
  ae2dDecoder: layersModel("ae2d/decoder", { key: "ae2d-decoder", inputs: [latent("z")], outputs: [digits] }),
  pca2d: { key: "pca2d", format: "data", entry: "pca2d/pca.json", inputs: [digits], outputs: [latent("code")] },
} as const satisfies Record<string, ModelSpec>;

/** What one training run writes (`npm run train -- <name>`): a model, or an encoder and its decoder. */
export interface RunSpec {
  name: string;
  models: readonly ModelSpec[];
}

export const RUNS = {
  dae: { name: "dae", models: [MODELS.dae] },
  faceAutoencoder: { name: "ae-faces", models: [MODELS.faceAutoencoder] },
  vae: { name: "vae", models: [MODELS.vaeEncoder, MODELS.vaeDecoder] },
  ae2d: { name: "ae2d", models: [MODELS.ae2dEncoder, MODELS.ae2dDecoder] },
  pca2d: { name: "pca2d", models: [MODELS.pca2d] },
} as const satisfies Record<string, RunSpec>;

/** The models the server routes run: what GET /api/health loads and reports. */
export const SERVED_MODELS: readonly ModelSpec[] = [MODELS.dae, MODELS.vaeEncoder, MODELS.vaeDecoder];

/**
 * The three 2-D embeddings of the MNIST test digits the latent page and the evaluation compare (Hinton &
 * Salakhutdinov 2006, Fig. 3), named by their training run, with the model whose manifest entry holds the codes.
 */
export const EMBEDDINGS = [
  { id: RUNS.vae.name, model: MODELS.vaeEncoder, label: "VAE (z mean)" },
  { id: RUNS.ae2d.name, model: MODELS.ae2dEncoder, label: "Deep autoencoder" },
  { id: RUNS.pca2d.name, model: MODELS.pca2d, label: "PCA" },
] as const;
export type EmbeddingId = (typeof EMBEDDINGS)[number]["id"];
export const EMBEDDING_IDS = EMBEDDINGS.map((e) => e.id) as [EmbeddingId, ...EmbeddingId[]];

/** Where a run's 2-D test codes and the test labels they share are exported, relative to models/. */
export const latentCodesPath = (id: EmbeddingId) => `latent/${id}-test-codes.f32`;
export const LATENT_LABELS_PATH = "latent/test-labels.u8";

// ---------------------------------------------------------------------------------------------------------------
// The DAE's architecture, as far as running it needs to know

export interface DaeArchitecture {
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
  /**
   * How the image goes down to the body's resolution and back up: "conv", learned convolutions over overlapping
   * patches (kernel 2r, stride r); "shuffle", pixel unshuffle and shuffle (FFDNet), which move each pixel of an
   * r x r block into a channel of its own and back, losing nothing.
   */
  resample: "conv" | "shuffle";
  /**
   * 3x3 convolutions of a refinement head at full resolution, or 0 for none: it sees the noisy image and the body's
   * result pixel by pixel and corrects what the body, working on blocks, cannot (a single wrong pixel).
   */
  refine: number;
  /** Channels of the refinement head's convolutions. */
  refineFilters: number;
  /**
   * Where the model also sees where the noisy image is exactly black or white, per component: "head" (the
   * refinement head), "all" (the body too) or "off". Those are the values impulse noise leaves (masking sets
   * components to 0, salt-and-pepper pixels to 0 or 1), which a convolution cannot tell from a dark or bright value
   * without weights hundreds of times their usual size.
   */
  impulseMarks: "off" | "head" | "all";
}

export const DEFAULT_DAE_ARCHITECTURE: DaeArchitecture = { filters: 64, depth: 6, downsampling: 2, resample: "conv", refine: 0, refineFilters: 32, impulseMarks: "off" };

/**
 * The DAE's receptive-field radius, rounded up: the way down and back up (patch convolutions of kernel 2r, or a
 * pixel unshuffle followed by a 3x3 convolution and its mirror) reach 2r pixels each, each 3x3 convolution of the
 * body at 1/r resolution reaches r more, and a refinement head one more per convolution, its output one included.
 */
export function daeMargin({ depth, downsampling, refine = 0 }: { depth: number; downsampling: number; refine?: number }): number {
  const r = Math.max(1, downsampling);
  return roundUp(Math.max(8, (depth + 5) * r + (refine > 0 ? refine + 1 : 0)), r);
}

/**
 * How to tile a whole photo through the DAE whose training config the manifest records (the defaults for a
 * manifest that does not): sides a multiple of its downsampling, a margin of its receptive-field radius.
 */
export function daeTileOptions(config: Record<string, unknown> | undefined, tile = DEFAULT_TILE): TileOptions {
  const integer = (value: unknown, min: number, fallback: number) => (typeof value === "number" && Number.isInteger(value) && value >= min ? value : fallback);
  const downsampling = integer(config?.downsampling, 1, DEFAULT_DAE_ARCHITECTURE.downsampling);
  // A body of no convolutions (depth 0) is a real architecture, not a missing value.
  const depth = integer(config?.depth, 0, DEFAULT_DAE_ARCHITECTURE.depth);
  const refine = integer(config?.refine, 0, DEFAULT_DAE_ARCHITECTURE.refine);
  return { tile, margin: daeMargin({ depth, downsampling, refine }), multiple: downsampling };
}
