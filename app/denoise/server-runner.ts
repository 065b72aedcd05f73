import type { ServerRunner } from "@/lib/browser/inference-client";
import { fetchManifest } from "@/lib/browser/model-fetch";
import { MODELS } from "@/lib/catalogue";
import { floatsToBytes, pixelImage, toFloats } from "@/lib/image";
import { SERVER_FULL_RES_MAX_PIXELS, tooManyPixelsMessage } from "@/lib/limits";
import { describeModel } from "@/lib/manifest";
import { runTiled } from "@/lib/tiling";
import { decodePngExact, encodePng } from "./photo";

/**
 * The end of the backend chain for the DAE: POST /api/denoise. The page has already cropped, resized and corrupted
 * the image, so it sends the noisy pixels as a lossless PNG with `noise=none&full=true` (no further crop, resize
 * or noise) and gets the model's output back as a PNG. A whole photo goes tile by tile (the page's overlapped
 * tiles, as the worker runs them), so each request stays far under the server's 4 MB body limit.
 */

async function postPng(png: Blob, signal?: AbortSignal): Promise<Blob> {
  const response = await fetch("/api/denoise?noise=none&full=true", {
    method: "POST",
    headers: { "Content-Type": "image/png" },
    body: png,
    signal,
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(`the server could not denoise the image (HTTP ${response.status}${body?.error ? `: ${body.error}` : ""})`);
  }
  return response.blob();
}

/** One HWC float image in [0, 1] through the server's model. */
async function denoiseOnServer(data: Float32Array, width: number, height: number, signal?: AbortSignal): Promise<Float32Array> {
  const png = await encodePng(pixelImage(floatsToBytes(data), width, height));
  return toFloats(await decodePngExact(await postPng(png, signal))).data;
}

function onlyTheDae(model: string) {
  if (model !== MODELS.dae.key) throw new Error(`the server runs only the ${MODELS.dae.key} model`);
}

export function daeServerRunner(modelsBase: string): ServerRunner {
  return {
    async predict(model, input) {
      onlyTheDae(model);
      const [, height, width] = input.shape;
      return { data: await denoiseOnServer(input.data, width, height), shape: input.shape };
    },
    async tiled(model, image, tiles, onProgress, signal) {
      onlyTheDae(model);
      if (image.width * image.height > SERVER_FULL_RES_MAX_PIXELS) {
        throw new Error(`${tooManyPixelsMessage(image.width, image.height, SERVER_FULL_RES_MAX_PIXELS)} (the server's limit; choose a smaller size)`);
      }
      return runTiled(image, tiles, (input, width, height) => denoiseOnServer(input, width, height, signal), { signal, onProgress });
    },
    async describe() {
      const entry = (await fetchManifest(modelsBase)).models[MODELS.dae.key];
      return entry ? [describeModel(MODELS.dae.key, entry)] : [];
    },
  };
}
