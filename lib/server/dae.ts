import "server-only";
import { daeTileOptions, MODELS } from "../catalogue";
import type { PixelImage } from "../image";
import { runTiled } from "../tiling";
import { runOnServer, type ServerRun } from "./models";

/**
 * The DAE on the server, for POST /api/denoise: the same model storage, sha256 checks, inference threads and line
 * as the VAE's routes (models.ts). An image of any size runs in the page's overlapped tiles (lib/tiling), one model
 * run per tile in an inference thread, so the result equals one whole-image pass in bounded memory; a 64x64 face is
 * one tile. A client that hangs up stops the run at the next tile.
 */
export function denoiseImage(noisy: PixelImage<Uint8ClampedArray>, client?: AbortSignal): Promise<ServerRun<PixelImage<Uint8ClampedArray>>> {
  return runOnServer(
    MODELS.dae.key,
    (run, entry) =>
      runTiled(
        noisy,
        daeTileOptions(entry.training.config),
        async (data, width, height) => {
          const [output] = await run({ data, shape: [1, height, width, noisy.channels] });
          return output.data;
        },
        { signal: client },
      ),
    client,
  );
}
