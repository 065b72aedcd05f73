import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * The parts of models/evaluation.json (written by `npm run evaluate`) that the pages show, read on the server when
 * a page is built. Each part is null when the file or that part of it is missing or malformed: a page then leaves
 * its figures out rather than failing.
 */

const psnr = z.object({ psnr: z.number() });
const facesSchema = z.object({
  count: z.number().int(),
  settings: z.array(
    z.object({
      id: z.string(),
      label: z.string(),
      noisy: psnr,
      blur: psnr.extend({ sigma: z.number() }),
      median: psnr.extend({ window: z.number() }),
      dae: psnr,
    }),
  ),
});
const knn5Schema = z.object({ vae: z.number(), ae2d: z.number(), pca2d: z.number() }).partial();

export type FaceScores = z.infer<typeof facesSchema>;
type Knn5 = z.infer<typeof knn5Schema>;

export interface PublishedEvaluation {
  faces: FaceScores | null;
  knn5: Knn5 | null;
}

export async function readPublishedEvaluation(): Promise<PublishedEvaluation> {
  let json: { faces?: unknown; mnist?: { knn5?: unknown } } = {};
  try {
    json = JSON.parse(await readFile(path.join(process.cwd(), "models", "evaluation.json"), "utf8"));
  } catch {
    // No evaluation yet (a fresh training run, before `npm run evaluate`).
  }
  return {
    faces: facesSchema.safeParse(json?.faces).data ?? null,
    knn5: knn5Schema.safeParse(json?.mnist?.knn5).data ?? null,
  };
}
