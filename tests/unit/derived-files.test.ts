import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { MODELS } from "@/lib/catalogue";
import { DAE_KEY, ILLUSTRATIONS_DIR, LATENT_PICTURE_FILES, LATENT_PICTURE_MODEL, MADE_FROM, type MadeFrom } from "@/lib/illustrations";
import { parseManifest } from "@/lib/manifest";
import { runModel } from "@/lib/run-model";
import { checkAgainstReference, decodeReference, modelFiles, REFERENCE_ARTIFACT, referenceFits } from "@/lib/reference";
import { loadModelFromFile } from "@/training/model-files";

/**
 * The files made from the shipped models by `npm run make:derived` (scripts/make-derived.ts) are in step with
 * models/manifest.json: the DAE's reference answer (which each browser backend must match before it is trusted)
 * and the pictures of the home page and the "how it works" strip. A retrained model fails this until the command
 * is run again.
 */

const MODELS_DIR = path.resolve("models");
const manifest = parseManifest(JSON.parse(readFileSync(path.join(MODELS_DIR, "manifest.json"), "utf8")));
const dae = manifest.models[DAE_KEY];
const AGAIN = "models/ changed: run `npm run make:derived`";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("the DAE's reference answer", () => {
  const file = dae.artifacts?.[REFERENCE_ARTIFACT];

  it("is listed in the manifest and computed with the manifest's model files", () => {
    expect(file, `the manifest's ${DAE_KEY} has no ${REFERENCE_ARTIFACT} artifact: ${AGAIN}`).toBeDefined();
    const reference = decodeReference(JSON.parse(readFileSync(path.join(MODELS_DIR, file!.path), "utf8")));
    expect(reference.model).toBe(DAE_KEY);
    expect(referenceFits(reference, dae), `the reference was computed with other model files: ${AGAIN}`).toBe(true);
  });

  it("is what the shipped model answers on tfjs' CPU backend", async () => {
    const reference = decodeReference(JSON.parse(readFileSync(path.join(MODELS_DIR, file!.path), "utf8")));
    const model = await loadModelFromFile(path.join(MODELS_DIR, MODELS.dae.entry));
    const [output] = await runModel(model, reference.input);
    const check = checkAgainstReference(output, reference);
    expect(check.ok, check.reason).toBe(true);
    expect(check.maxAbs).toBeLessThan(1e-5);
    model.dispose();
  });
});

describe("the pictures in public/illustrations/", () => {
  it("were made from the manifest's DAE and VAE codes", () => {
    const madeFrom = JSON.parse(readFileSync(path.join("public", ILLUSTRATIONS_DIR, MADE_FROM), "utf8")) as MadeFrom;
    expect(madeFrom.dae, `the DAE changed: ${AGAIN}`).toEqual(modelFiles(dae));
    const artifacts = Object.values(manifest.models[LATENT_PICTURE_MODEL].artifacts ?? {});
    const latent = Object.fromEntries(LATENT_PICTURE_FILES.map((p) => [p, artifacts.find((f) => f.path === p)?.sha256]));
    expect(madeFrom.latent, `the VAE's codes changed: ${AGAIN}`).toEqual(latent);
  });
});
