import type { ServerRunner } from "@/lib/inference/client";
import { fetchManifest, modelBytes } from "@/lib/inference/model-source";
import { DIGIT_PIXELS, MAX_DECODE_POINTS, VAE_DECODER, VAE_ENCODER } from "@/lib/latent";

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
      if (model === VAE_DECODER) {
        const out = new Float32Array(n * DIGIT_PIXELS);
        for (let start = 0; start < n; start += MAX_DECODE_POINTS) {
          const count = Math.min(MAX_DECODE_POINTS, n - start);
          const z = Array.from({ length: count }, (_, k) => [input.data[2 * (start + k)], input.data[2 * (start + k) + 1]]);
          const { pixels } = await postJson<{ pixels: number[][] }>("/api/vae/decode", { z });
          pixels.forEach((digit, k) => out.set(digit, (start + k) * DIGIT_PIXELS));
        }
        return { data: out, shape: [n, DIGIT_PIXELS] };
      }
      if (model === VAE_ENCODER) {
        const mean = new Float32Array(n * 2);
        const logVar = new Float32Array(n * 2);
        for (let k = 0; k < n; k++) {
          const body = await postJson<{ mean: number[]; logVar: number[] }>("/api/vae/encode", {
            pixels: Array.from(input.data.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS), (v) => Math.min(1, Math.max(0, v))),
          });
          mean.set(body.mean, 2 * k);
          logVar.set(body.logVar, 2 * k);
        }
        return [
          { data: mean, shape: [n, 2] },
          { data: logVar, shape: [n, 2] },
        ];
      }
      throw new Error(`the server does not run the model "${model}" for this page`);
    },
    async describe() {
      const manifest = await fetchManifest(modelsBase);
      return [VAE_DECODER, VAE_ENCODER].flatMap((name) => {
        const entry = manifest.models[name];
        return entry ? [{ name, bytes: modelBytes(entry), sha256: entry.files.find((f) => f.path === entry.entry)?.sha256 ?? "", config: entry.training.config }] : [];
      });
    },
  };
}
