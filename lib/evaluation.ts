import { z } from "./zod";
import { EMBEDDING_IDS, RUNS } from "./catalogue";
import { NOISE_KINDS } from "./noise";

/**
 * `models/evaluation.json`: what `npm run evaluate` measured, written through this schema and read through it by
 * the pages (the denoising page's scores table, the latent page's accuracies, the home page's figures).
 */

const scoreShape = { psnr: z.number(), ssim: z.number() };
const scores = z.object(scoreShape);

export const faceResultSchema = z.object({
  /** Names the setting, e.g. "gaussian-0.1", in figure file names too. */
  id: z.string(),
  label: z.string(),
  noise: z.object({ kind: z.enum(NOISE_KINDS), level: z.number() }),
  noisy: scores,
  /** The classical filters at the parameter that scores best on the set itself (an oracle). */
  blur: z.object({ sigma: z.number(), ...scoreShape }),
  median: z.object({ window: z.number(), ...scoreShape }),
  dae: scores,
});
export type FaceResult = z.infer<typeof faceResultSchema>;

export const facesSchema = z.object({ source: z.string(), count: z.number().int(), settings: z.array(faceResultSchema) });
export type FaceScores = z.infer<typeof facesSchema>;

const perEmbedding = z.record(z.enum(EMBEDDING_IDS), z.number());

export const mnistSchema = z.object({
  trainDigits: z.number().int(),
  testDigits: z.number().int(),
  /** Nats per test digit. */
  vae: z.object({ negativeElbo: z.number(), reconstruction: z.number(), kl: z.number() }),
  /** 5-NN accuracy of each embedding's 2-D test codes among its training codes. */
  knn5: perEmbedding,
  /** Squared error summed over a digit's pixels, averaged over the test digits, of the two deterministic codes. */
  squaredError: z.record(z.enum([RUNS.ae2d.name, RUNS.pca2d.name]), z.number()),
});
export type MnistResult = z.infer<typeof mnistSchema>;

const trainingSummary = z.object({
  backend: z.string(),
  seconds: z.number(),
  examplesSeen: z.number().int(),
  epochs: z.number().int(),
  trainedAt: z.string(),
});
export type TrainingSummary = z.infer<typeof trainingSummary>;

export const evaluationSchema = z.object({
  generatedAt: z.string(),
  command: z.string(),
  environment: z.object({ node: z.string(), platform: z.string(), cpu: z.string(), tfjs: z.string(), backend: z.string() }),
  seconds: z.number(),
  faces: facesSchema,
  mnist: mnistSchema,
  targets: z.array(z.object({ target: z.string(), measured: z.string(), pass: z.boolean() })),
  /** By training run. */
  training: z.record(z.string(), trainingSummary),
});
export type Evaluation = z.infer<typeof evaluationSchema>;

/** The better of the two classical filters by PSNR (a tie goes to the blur), named with its parameter: the DAE's yardstick. */
export function bestClassical({ blur, median }: Pick<FaceResult, "blur" | "median">): { name: string; psnr: number } {
  return blur.psnr >= median.psnr
    ? { name: `gaussian blur σ ${blur.sigma}`, psnr: blur.psnr }
    : { name: `median ${median.window}×${median.window}`, psnr: median.psnr };
}
