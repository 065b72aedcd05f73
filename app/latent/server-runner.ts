import type { ServerRunner } from "@/lib/browser/inference-client";
import { fetchManifest } from "@/lib/browser/model-fetch";
import { DIGIT_PIXELS, LATENT_DIM, MODELS } from "@/lib/catalogue";
import { MAX_DECODE_POINTS } from "@/lib/latent";
import { describeModel } from "@/lib/manifest";

/**
 * The end of the backend chain for the VAE: POST /api/vae/decode (at most 400 points a request, so bigger batches
 * go in several) and POST /api/vae/encode (one digit a request).
 */

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) {
    const error = (await response.json().catch(() => null)) as { error?: string } | null;
    throw new Error(`the server could not run the VAE (HTTP ${response.status}${error?.error ? `: ${error.error}` : ""})`);
  }
  return (await response.json()) as T;
}

export function vaeServerRunner(modelsBase: string): ServerRunner {
  return {
    async predict(model, input) {
      const n = input.shape[0];
      if (model === MODELS.vaeDecoder.key) {
        const out = new Float32Array(n * DIGIT_PIXELS);
        for (let start = 0; start < n; start += MAX_DECODE_POINTS) {
          const count = Math.min(MAX_DECODE_POINTS, n - start);
          const z = Array.from({ length: count }, (_, k) => [input.data[2 * (start + k)], input.data[2 * (start + k) + 1]]);
          const { pixels } = await postJson<{ pixels: number[][] }>("/api/vae/decode", { z });
          pixels.forEach((digit, k) => out.set(digit, (start + k) * DIGIT_PIXELS));
        }
        return { data: out, shape: [n, DIGIT_PIXELS] };
      }
      if (model === MODELS.vaeEncoder.key) {
        const mean = new Float32Array(n * LATENT_DIM);
        const logVar = new Float32Array(n * LATENT_DIM);
        for (let k = 0; k < n; k++) {
          const body = await postJson<{ mean: number[]; logVar: number[] }>("/api/vae/encode", {
            pixels: Array.from(input.data.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS), (v) => Math.min(1, Math.max(0, v))),
          });
          mean.set(body.mean, LATENT_DIM * k);
          logVar.set(body.logVar, LATENT_DIM * k);
        }
        return [
          { data: mean, shape: [n, LATENT_DIM] },
          { data: logVar, shape: [n, LATENT_DIM] },
        ];
      }
      throw new Error(`the server does not run the model "${model}" for this page`);
    },
    async describe() {
      const { models } = await fetchManifest(modelsBase);
      return [MODELS.vaeDecoder.key, MODELS.vaeEncoder.key].flatMap((key) => (models[key] ? [describeModel(key, models[key])] : []));
    },
  };
}
