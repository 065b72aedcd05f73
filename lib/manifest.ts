import { z } from "./zod";
import type { TensorSpec } from "./catalogue";

/**
 * `models/manifest.json`: the contract between training (which writes it) and the pages, the server routes and the
 * evaluation (which read it). Every file the site serves is listed with its sha256, so a client can check what it
 * downloaded and a cache can key on content.
 */

export const fileEntrySchema = z.object({
  /** Relative to the `models/` folder, with forward slashes. */
  path: z.string().regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, "a relative path inside models/"),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
});
export type FileEntry = z.infer<typeof fileEntrySchema>;

const tensorSpecSchema: z.ZodType<TensorSpec> = z.object({
  name: z.string(),
  shape: z.array(z.number().int().positive().nullable()),
});

const trainingSchema = z.object({
  config: z.record(z.string(), z.unknown()),
  backend: z.string(),
  /** Threads that computed each step's gradients (`--workers`), where the run recorded it. */
  workers: z.number().int().positive().optional(),
  seconds: z.number().nonnegative(),
  examplesSeen: z.number().int().nonnegative(),
  epochs: z.number().int().nonnegative(),
  trainedAt: z.string(),
  metrics: z.record(z.string(), z.number()),
});
export type TrainingRecord = z.infer<typeof trainingSchema>;

export const modelEntrySchema = z.object({
  /** What loads it: a tfjs LayersModel (`model.json`), or plain data such as PCA components. */
  format: z.enum(["layers-model", "data"]),
  /** The file to open: `model.json` for a LayersModel. */
  entry: z.string(),
  files: z.array(fileEntrySchema).min(1),
  inputs: z.array(tensorSpecSchema),
  outputs: z.array(tensorSpecSchema),
  training: trainingSchema,
  /** Data the model produced for the site, such as the 2-D codes of the MNIST test digits, by name. */
  artifacts: z.record(z.string(), fileEntrySchema).optional(),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

export const manifestSchema = z.object({
  version: z.literal(1),
  models: z.record(z.string(), modelEntrySchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

export function parseManifest(json: unknown): Manifest {
  return manifestSchema.parse(json);
}

/** What a page shows of a loaded model: its download size, its version and how it was trained. */
export interface ModelInfo {
  name: string;
  /** Download size of its files. */
  bytes: number;
  /** sha256 of its entry file (model.json): which version of the model is running. */
  sha256: string;
  /** Training config (for instance the DAE's downsampling, which its tiling needs). */
  config: Record<string, unknown>;
}

export function describeModel(name: string, entry: ModelEntry): ModelInfo {
  return {
    name,
    bytes: entry.files.reduce((sum, f) => sum + f.bytes, 0),
    sha256: entry.files.find((f) => f.path === entry.entry)?.sha256 ?? "",
    config: entry.training.config,
  };
}
