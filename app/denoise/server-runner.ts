import { floatsToBytes } from "@/lib/image";
import type { ServerRunner } from "@/lib/inference/client";
import { DAE_MODEL } from "@/lib/inference/dae";
import { SERVER_FULL_RES_MAX_PIXELS, tooManyPixelsMessage } from "@/lib/inference/limits";
import { fetchManifest, modelBytes } from "@/lib/inference/model-source";
import { rgbToFloatImage } from "@/lib/inference/pixels";
import { decodePngExact, encodePng } from "./photo";

/**
 * The end of the backend chain for the DAE: POST /api/denoise. The page has already cropped, resized and corrupted
 * the image, so it sends the noisy pixels as a lossless PNG with `noise=none&full=true` (no further crop, resize
 * or noise) and gets the model's output back as a PNG.
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

export function daeServerRunner(modelsBase: string): ServerRunner {
  return {
    async predict(model, input) {
      if (model !== DAE_MODEL) throw new Error(`the server runs only the ${DAE_MODEL} model`);
      const [, height, width] = input.shape;
      const png = await encodePng({ data: floatsToBytes(input.data), width, height });
      const output = await decodePngExact(await postPng(png));
      return { data: rgbToFloatImage(output).data, shape: input.shape };
    },
    async tiled(model, image, signal) {
      if (model !== DAE_MODEL) throw new Error(`the server runs only the ${DAE_MODEL} model`);
      if (image.width * image.height > SERVER_FULL_RES_MAX_PIXELS) {
        throw new Error(`${tooManyPixelsMessage(image.width, image.height, SERVER_FULL_RES_MAX_PIXELS)} (the server's limit; choose a smaller size)`);
      }
      const output = await decodePngExact(await postPng(await encodePng(image), signal));
      return { ...output, channels: 3 };
    },
    async describe() {
      const manifest = await fetchManifest(modelsBase);
      const entry = manifest.models[DAE_MODEL];
      if (!entry) return [];
      return [{ name: DAE_MODEL, bytes: modelBytes(entry), sha256: entry.files.find((f) => f.path === entry.entry)?.sha256 ?? "", config: entry.training.config }];
    },
  };
}
