import "server-only";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { evaluationSchema, type FaceScores, type MnistResult } from "../evaluation";

/**
 * The parts of models/evaluation.json (written by `npm run evaluate`) that the pages show, read on the server when
 * a page renders (on every request: the pages carry a CSP nonce, proxy.ts). Each part is null when the file or that part of it is missing or malformed: a page then leaves
 * its figures out rather than failing.
 */
export interface PublishedEvaluation {
  faces: FaceScores | null;
  knn5: MnistResult["knn5"] | null;
  /** The VAE's test loss terms, nats per digit (the latent page compares a drawn digit's with them). */
  vaeLoss: MnistResult["vae"] | null;
}

export async function readPublishedEvaluation(): Promise<PublishedEvaluation> {
  let json: { faces?: unknown; mnist?: { knn5?: unknown; vae?: unknown } } = {};
  try {
    json = JSON.parse(await readFile(path.join(/*turbopackIgnore: true*/ process.cwd(), "models", "evaluation.json"), "utf8"));
  } catch {
    // No evaluation yet (a fresh training run, before `npm run evaluate`).
  }
  const { faces, mnist } = evaluationSchema.shape;
  return {
    faces: faces.safeParse(json?.faces).data ?? null,
    knn5: mnist.shape.knn5.safeParse(json?.mnist?.knn5).data ?? null,
    vaeLoss: mnist.shape.vae.safeParse(json?.mnist?.vae).data ?? null,
  };
}
