import { readFile } from "node:fs/promises";
import path from "node:path";
import type * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { DIGIT_PIXELS, LATENT_DIM, MODELS, type ModelSpec, RUNS } from "../../lib/catalogue";
import type { TrainingSummary } from "../../lib/evaluation";
import type { Manifest, ModelEntry } from "../../lib/manifest";
import { DataError } from "../data/errors";
import { readManifest } from "../export";
import { loadModelFromFile } from "../model-files";
import type { PcaModel } from "../tasks/pca";

/** The models evaluated, by the manifest in the models folder: found, loaded, and how they were trained. */

/** The training runs whose models the evaluation needs, in the order the report lists them. */
const EVALUATED_RUNS = [RUNS.dae, RUNS.vae, RUNS.ae2d, RUNS.pca2d];

/** The models folder and its manifest: where every model is loaded from. */
export interface ModelsFolder {
  dir: string;
  manifest: Manifest;
}

/** Reads the manifest and checks that every model is in it: a missing one fails the run at once, not minutes in. */
export async function openModelsFolder(dir: string): Promise<ModelsFolder> {
  const folder = { dir, manifest: await readManifest(dir) };
  for (const spec of EVALUATED_RUNS.flatMap((run) => run.models)) modelEntry(folder, spec);
  return folder;
}

function modelEntry({ dir, manifest }: ModelsFolder, spec: ModelSpec): ModelEntry {
  const entry = manifest.models[spec.key];
  if (entry === undefined) {
    throw new DataError({ file: path.join(dir, "manifest.json"), expected: `an entry for '${spec.key}'`, found: "none (train it first)" });
  }
  return entry;
}

export function loadLayersModel(folder: ModelsFolder, spec: ModelSpec): Promise<tf.LayersModel> {
  return loadModelFromFile(path.join(folder.dir, modelEntry(folder, spec).entry));
}

const pcaSchema = z.object({
  mean: z.array(z.number()).length(DIGIT_PIXELS),
  components: z.array(z.array(z.number()).length(DIGIT_PIXELS)).length(LATENT_DIM),
  explainedVariance: z.array(z.number()),
});

export async function loadPca(folder: ModelsFolder): Promise<PcaModel> {
  const file = path.join(folder.dir, modelEntry(folder, MODELS.pca2d).entry);
  const parsed = pcaSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
  if (!parsed.success) throw new DataError({ file, expected: "a 2-D PCA (mean and two axes of 784)", found: parsed.error.issues[0].message });
  return parsed.data;
}

/** How each run's models were trained, by run name. */
export function trainingSummaries({ manifest }: ModelsFolder): Record<string, TrainingSummary> {
  return Object.fromEntries(
    EVALUATED_RUNS.map(({ name, models: [first] }) => {
      // An encoder and its decoder share one training run, recorded on both: the first model stands for the run.
      const { backend, seconds, examplesSeen, epochs, trainedAt } = manifest.models[first.key].training;
      return [name, { backend, seconds, examplesSeen, epochs, trainedAt }];
    }),
  );
}
