import { execFileSync } from "node:child_process";
import { defineConfig, type PlaywrightTestConfig } from "@playwright/test";

/**
 * End-to-end tests of the production build (`next build` first; `npm test` does it when .next is missing) in
 * Debian's Chromium (`apt-get install chromium`; Playwright's own browser download is not used).
 *
 * One project per rung of the backend chain, each with the browser flags that switch the rungs above it off. This
 * machine has no GPU, so by default the pages would start on WASM (lib/browser/device-class.ts); the GPU
 * projects name the GPU-first chain in the URL to test those rungs anyway:
 *   webgpu  --enable-unsafe-webgpu (WebGPU on SwiftShader: correct, slow), ?backends=webgpu,webgl,wasm,cpu,server
 *   webgl   no flags: WebGPU finds no adapter without --enable-unsafe-webgpu; WebGL runs on SwiftShader;
 *           ?backends=webgl,wasm,cpu,server
 *   wasm    --use-gl=disabled: no WebGL anywhere (--disable-webgl leaves it on in workers' OffscreenCanvas)
 *   cpu     also --js-flags=--jitless: V8 without a JIT has no WebAssembly (--noexpose_wasm no longer hides it)
 *   server  the same flags and ?backends=webgpu,webgl,wasm,server: plain-JS CPU cannot be switched off by a
 *           browser flag, so the URL leaves it out of the chain, and everything before the server fails.
 * Each project lists the spec files it runs (`testMatch`), so no test is skipped for running on the wrong project:
 *   every project   backends.spec.ts (the chain lands on the project's backend), whole-photo.spec.ts (the tiled
 *                   whole photo on that backend), latent-backends.spec.ts (the latent page decodes there too),
 *                   isolation.spec.ts (the page and its worker cross-origin isolated, as every spec runs)
 *   webgpu, webgl   default-chain.spec.ts (without ?backends=, a software GPU starts on WASM)
 *   webgl           denoise.spec.ts (the denoising page's details, on the default chain)
 *   webgl, server   denoise-flow.spec.ts (the denoising page's flows on the default chain and the server fallback)
 *   webgl, wasm     latent.spec.ts (the rest of the latent page)
 *   wasm            pages.spec.ts (each page loads clean), wasm-threads.spec.ts (threads, their pixels, the fallback)
 *   server          deno.spec.ts and bundle.spec.ts (Node-side checks of the build), abuse-shares.spec.ts (share
 *                   limits, deletion and bad ids against a hostile visitor), abuse-inference.spec.ts (the server's
 *                   event loop stays free under full-resolution work), abuse-http.spec.ts (a hostile visitor:
 *                   security headers, JSON errors, cross-site refusal, timeouts)
 * Every spec takes `test` from tests/e2e/fixtures.ts, which fails a test whose page violates the site's
 * Content-Security-Policy.
 * Timings are not tests: the latent page's hover latency is measured by `npm run bench:browser`.
 */

/** A free port, chosen once: the config is evaluated again in each worker process, which inherits E2E_PORT. */
function port(): string {
  process.env.E2E_PORT ??= execFileSync(process.execPath, ["scripts/local-server.mjs"]).toString().trim();
  return process.env.E2E_PORT;
}

const baseURL = `http://127.0.0.1:${port()}`;
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

export interface BackendProjectMetadata {
  /** The backend the page must end up on. */
  backend: "webgpu" | "webgl" | "wasm" | "cpu" | "server";
  /** Query string for the page. */
  query: string;
}

/** The spec files every project runs. */
const EVERY_PROJECT = ["backends.spec.ts", "whole-photo.spec.ts", "latent-backends.spec.ts", "isolation.spec.ts"];

function project(name: BackendProjectMetadata["backend"], args: string[], query: string, alsoRuns: string[] = []) {
  return {
    name,
    testMatch: [...EVERY_PROJECT, ...alsoRuns],
    metadata: { backend: name, query } satisfies BackendProjectMetadata,
    use: { launchOptions: { executablePath: CHROMIUM, args: [...BASE_ARGS, ...args] } },
  } satisfies NonNullable<PlaywrightTestConfig["projects"]>[number];
}

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results/e2e",
  timeout: 180_000,
  expect: { timeout: 60_000 },
  // Two CPU cores, and SwiftShader is busy enough with one page.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "test-results/playwright.json" }]],
  use: { baseURL, viewport: { width: 1280, height: 900 }, screenshot: "only-on-failure", trace: "retain-on-failure" },
  webServer: {
    // `npm start`'s server: a cluster of Next processes (scripts/serve.mjs).
    command: `node scripts/serve.mjs -H 127.0.0.1 -p ${port()}`,
    url: `${baseURL}/denoise`,
    reuseExistingServer: false,
    timeout: 120_000,
    env: { NEXT_TELEMETRY_DISABLED: "1" },
    stdout: "ignore",
    stderr: "pipe",
  },
  projects: [
    project("webgl", [], "?backends=webgl,wasm,cpu,server", ["default-chain.spec.ts", "denoise.spec.ts", "denoise-flow.spec.ts", "latent.spec.ts"]),
    project("webgpu", ["--enable-unsafe-webgpu"], "?backends=webgpu,webgl,wasm,cpu,server", ["default-chain.spec.ts"]),
    project("wasm", ["--use-gl=disabled"], "", ["latent.spec.ts", "pages.spec.ts", "wasm-threads.spec.ts"]),
    project("cpu", ["--use-gl=disabled", "--js-flags=--jitless"], ""),
    project("server", ["--use-gl=disabled", "--js-flags=--jitless"], "?backends=webgpu,webgl,wasm,server", ["denoise-flow.spec.ts", "deno.spec.ts", "bundle.spec.ts", "abuse-shares.spec.ts", "abuse-inference.spec.ts", "abuse-http.spec.ts"]),
  ],
});
