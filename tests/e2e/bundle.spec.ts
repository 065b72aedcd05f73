import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";

/**
 * What a serverless deployment ships per route: the files Next's output tracing lists for each route handler
 * (.next/server/app/<route>/route.js.nft.json) stay far under Vercel's 250 MB function limit, carry the models
 * (for a deployment without Blob) and the wasm backend's .wasm files, and never tfjs-node's native library.
 */

const ROUTES = ["api/denoise", "api/vae/decode", "api/vae/encode", "api/health", "api/share", "api/models/[...path]"];

function traced(route: string): { files: string[]; bytes: number } {
  const manifest = `.next/server/app/${route}/route.js.nft.json`;
  const listed = (JSON.parse(readFileSync(manifest, "utf8")) as { files: string[] }).files.map((f) => path.resolve(path.dirname(manifest), f));
  const files = listed.filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
  return { files, bytes: files.reduce((sum, f) => sum + statSync(f).size, 0) };
}

for (const route of ROUTES) {
  test(`the ${route} function bundle: under 100 MB, models and wasm in, no tfjs-node`, () => {
    const { files, bytes } = traced(route);
    console.log(`${route}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB`);
    expect(bytes).toBeLessThan(100e6);
    expect(files.some((f) => f.includes("tfjs-node"))).toBe(false);
    if (route !== "api/share") {
      expect(files.some((f) => f.endsWith(path.join("models", "manifest.json")))).toBe(true);
    }
    if (["api/denoise", "api/vae/decode", "api/vae/encode", "api/health"].includes(route)) {
      expect(files.some((f) => f.endsWith("tfjs-backend-wasm-simd.wasm"))).toBe(true);
    }
  });
}
