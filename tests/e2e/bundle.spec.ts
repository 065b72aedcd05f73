import path from "node:path";
import { expect, test } from "./fixtures";
import { rawTraceList, tfjsNodeEntries, traceManifest, tracedFiles } from "./function-trace";

/**
 * What a serverless deployment ships per route: the files Next's output tracing lists for each route handler
 * (.next/server/app/<route>/route.js.nft.json) stay far under Vercel's 250 MB function limit, carry the models
 * (for a deployment without Blob) and the wasm backend's .wasm files, and never tfjs-node's native library. The
 * tfjs-node check reads the raw list, as Next wrote it, before anything is dropped for not existing on this disk.
 */

const ROUTES = ["api/denoise", "api/vae/decode", "api/vae/encode", "api/health", "api/share", "api/models/[...path]"];

for (const route of ROUTES) {
  test(`the ${route} function bundle: under 100 MB, models and wasm in, no tfjs-node`, () => {
    const manifest = traceManifest(route);
    const raw = rawTraceList(manifest);
    expect(raw.length).toBeGreaterThan(0);
    expect(tfjsNodeEntries(raw)).toEqual([]);
    const { files, bytes } = tracedFiles(manifest);
    console.log(`${route}: ${raw.length} entries listed, ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
    expect(bytes).toBeLessThan(100e6);
    if (route !== "api/share") {
      expect(files.some((f) => f.endsWith(path.join("models", "manifest.json")))).toBe(true);
    }
    if (["api/denoise", "api/vae/decode", "api/vae/encode", "api/health"].includes(route)) {
      expect(files.some((f) => f.endsWith("tfjs-backend-wasm-simd.wasm"))).toBe(true);
    }
  });
}

test("the pages' function bundles carry models/evaluation.json: they render per request (the CSP nonce) and read it then", () => {
  for (const page of ["page", "denoise/page", "latent/page"]) {
    const { files } = tracedFiles(`.next/server/app/${page}.js.nft.json`);
    expect.soft(files.some((f) => f.endsWith(path.join("models", "evaluation.json"))), page).toBe(true);
  }
});
