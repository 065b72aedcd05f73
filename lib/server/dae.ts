import "server-only";
import { daeTileOptions, MODELS } from "../catalogue";
import type { PixelImage } from "../image";
import type { DenoisingScores } from "../metrics";
import { runTiled } from "../tiling";
import { runOnServer, type ServerRun } from "./models";

/** The denoised image, and its scores when a clean original was given. */
export interface ServerDenoising {
  denoised: PixelImage<Uint8ClampedArray>;
  scores: DenoisingScores | null;
}

/**
 * The DAE on the server, for POST /api/denoise: the same model storage, sha256 checks, inference threads and line
 * as the VAE's routes (models.ts). An image of any size runs in the page's overlapped tiles (lib/tiling), one model
 * run per tile in an inference thread, so the result equals one whole-image pass in bounded memory; a 64x64 face is
 * one tile. A client that hangs up stops the run at the next tile. With `clean`, the original `noisy` was made
 * from, the scores (PSNR, SSIM) are computed in a thread too, in the same turn.
 */
export function denoiseImage(noisy: PixelImage<Uint8ClampedArray>, client?: AbortSignal, clean?: PixelImage<Uint8ClampedArray>): Promise<ServerRun<ServerDenoising>> {
  return runOnServer(
    MODELS.dae.key,
    async (run, entry, score) => {
      const denoised = await runTiled(
        noisy,
        daeTileOptions(entry.training.config),
        async (data, width, height) => {
          const [output] = await run({ data, shape: [1, height, width, noisy.channels] });
          return output.data;
        },
        { signal: client },
      );
      return { denoised, scores: clean ? await score(clean, noisy, denoised) : null };
    },
    client,
  );
}
