import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { errorMessage } from "../../lib/errors";
import { DataError } from "../data/errors";
import { NOISE_SETTING_IDS } from "./settings";

/**
 * The figures our results are compared with, measured outside this project (../shared/docs/dae-anchors.md) and
 * kept as data in anchors.json, one entry per noise setting.
 */

export const ANCHORS_FILE = path.join(import.meta.dirname, "anchors.json");

const namedPsnr = z.object({ name: z.string(), psnr: z.number() });

/** PSNR in dB of the noisy input, the classical filters and PyTorch DAEs under one noise setting. */
const anchorSchema = z.object({
  noisy: z.number(),
  blur: z.number(),
  median: z.number(),
  bestClassical: namedPsnr,
  /** PyTorch, 55 s on an H100, blind: the plain undercomplete conv AE and the overcomplete 6 convs x 64. */
  plainAutoencoder: z.number(),
  overcomplete: z.number(),
  bestPyTorch: namedPsnr,
});
export type Anchor = z.infer<typeof anchorSchema>;

const anchorsSchema = z.object({
  /** Where the figures come from, in words. */
  source: z.string(),
  /** By noise setting id: an enum-keyed record, so a setting without anchors fails the load. */
  settings: z.record(z.enum(NOISE_SETTING_IDS), anchorSchema),
});
export type Anchors = z.infer<typeof anchorsSchema>;

/** Reads and checks the anchors: at the start of a run, so a bad file fails it before minutes of work. */
export async function loadAnchors(file = ANCHORS_FILE): Promise<Anchors> {
  const expected = "the anchor figures of every noise setting";
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new DataError({ file, expected, found: errorMessage(error) }, { cause: error });
  }
  const parsed = anchorsSchema.safeParse(json);
  if (!parsed.success) throw new DataError({ file, expected, found: z.prettifyError(parsed.error) });
  return parsed.data;
}
