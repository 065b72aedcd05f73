import { expect, type Page, type TestInfo } from "@playwright/test";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel } from "@tensorflow/tfjs-layers";
import { fetchModels } from "@/lib/browser/model-fetch";
import { MODELS } from "@/lib/catalogue";

export const FIXTURES = "tests/fixtures/images";
export const BACKEND_NAMES = /^(webgpu|webgl|wasm|cpu|server)$/;

/**
 * Where the default chain should start in this browser: WASM when its WebGL renderer is a software one (SwiftShader
 * on this GPU-less machine), else a GPU backend. Read independently of lib/browser/device-class.ts.
 */
export async function expectedDefaultBackend(page: Page): Promise<RegExp> {
  const renderer = await page.evaluate(() => {
    const gl = document.createElement("canvas").getContext("webgl2");
    const info = gl?.getExtension("WEBGL_debug_renderer_info");
    return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : null;
  });
  return renderer === null || /swiftshader/i.test(renderer) ? /^wasm$/ : /^(webgpu|webgl)$/;
}

/**
 * Collects what a test needs to say why a backend failed: the page's and its workers' console errors and warnings,
 * uncaught errors, crashes, and failed requests. Call at the start of a test (or in beforeEach); pass the list to
 * reportBackendOnFailure.
 */
export function watchPage(page: Page): string[] {
  const seen: string[] = [];
  const t0 = Date.now();
  const at = () => `+${((Date.now() - t0) / 1000).toFixed(1)} s`;
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") {
      seen.push(`${at()} ${message.worker() ? "worker " : ""}console.${message.type()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => seen.push(`${at()} uncaught: ${error.message}`));
  page.on("crash", () => seen.push(`${at()} the page crashed`));
  page.on("requestfailed", (request) => seen.push(`${at()} request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) seen.push(`${at()} HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on("worker", (worker) => {
    const name = worker.url().split("#")[0];
    seen.push(`${at()} worker started: ${name}`);
    worker.on("close", () => seen.push(`${at()} worker closed: ${name}`));
  });
  return seen;
}

/**
 * When a test failed, prints and attaches the state of the page's backend: the badge (text and data-phase), the
 * reasons the chain gave for each backend it passed over (the badge's `backend-attempts` list), and what watchPage
 * saw. Call from afterEach.
 */
export async function reportBackendOnFailure(page: Page, testInfo: TestInfo, seen: string[]) {
  if (testInfo.status === testInfo.expectedStatus) return;
  const badge = page.getByTestId("backend");
  const read = <T>(what: Promise<T>) => what.catch((error: Error) => `(unreadable: ${error.message.split("\n")[0]})`);
  const text = await read(badge.textContent({ timeout: 5_000 }));
  const phase = await read(badge.getAttribute("data-phase", { timeout: 5_000 }));
  const attempts = await read(page.getByTestId("backend-attempts").locator("li").allTextContents());
  const report = [
    `backend badge: "${text}" (data-phase="${phase}"), URL ${page.url()}`,
    `passed over: ${Array.isArray(attempts) ? attempts.join(" | ") || "(none listed)" : attempts}`,
    ...seen,
  ].join("\n");
  console.log(`[${testInfo.project.name}] ${testInfo.title} failed; the page's backend:\n${report}`);
  await testInfo.attach("backend", { body: report, contentType: "text/plain" });
}

/**
 * Waits until the page has a backend and the whole photo denoised for its current settings (the "3. Denoised"
 * card is busy from the moment a setting changes until the run for it is done).
 */
export async function waitForResult(page: Page, timeout?: number) {
  await expect(page.getByTestId("backend")).toHaveText(BACKEND_NAMES, { timeout });
  await expect(page.getByTestId("whole")).toHaveAttribute("aria-busy", "false", { timeout });
  await expect(page.getByTestId("full-result")).toHaveAttribute("data-state", "done", { timeout });
  await expect(page.getByTestId("whole")).toHaveAttribute("aria-busy", "false", { timeout });
}

export async function setGaussian(page: Page, level: number) {
  await page.getByTestId("noise-kind").selectOption("gaussian");
  await page.getByTestId("noise-level").fill(String(level));
  await expect(page.getByTestId("noise-level")).toHaveValue(String(level));
}

export async function uploadFace(page: Page, file = `${FIXTURES}/a-face.png`) {
  const name = file.split("/").pop()!;
  await page.getByTestId("upload").setInputFiles(file);
  await expect(page.getByTestId("photo-name")).toContainText(name);
}

/** PSNR of the noisy and the denoised image: of the close look, or with `prefix` "full-" of the whole photo. */
export async function readPsnr(page: Page, prefix = ""): Promise<{ noisy: number; denoised: number }> {
  const noisy = Number(await page.getByTestId(`${prefix}psnr-noisy`).textContent());
  const denoised = Number(await page.getByTestId(`${prefix}psnr-denoised`).textContent());
  return { noisy, denoised };
}

/** The whole-photo result's size, from its data attributes. */
export async function resultSize(page: Page): Promise<{ width: number; height: number }> {
  const result = page.getByTestId("full-result");
  return { width: Number(await result.getAttribute("data-width")), height: Number(await result.getAttribute("data-height")) };
}

/** A canvas' pixels as RGB bytes (the close look's "original", "noisy", "denoised"; the whole photo's "full-noisy", "full-denoised"). */
export async function canvasRgb(page: Page, testId: string): Promise<{ data: number[]; width: number; height: number }> {
  return page.getByTestId(testId).evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    const rgb: number[] = [];
    for (let i = 0; i < data.length; i += 4) rgb.push(data[i], data[i + 1], data[i + 2]);
    return { data: rgb, width: canvas.width, height: canvas.height };
  });
}

/** Runs the DAE in Node (tfjs CPU), fetched from the app like the page does, with the same sha256 checks. */
export async function denoiseInNode(baseURL: string, noisy: { data: number[]; width: number; height: number }) {
  await tf.setBackend("cpu");
  const { models } = await fetchModels(`${baseURL}/api/models`, [MODELS.dae.key]);
  const [{ artifacts, entry }] = models;
  const model = await loadLayersModel({ load: async () => artifacts });
  const output = tf.tidy(() => {
    const input = tf.tensor4d(Float32Array.from(noisy.data, (v) => v / 255), [1, noisy.height, noisy.width, 3]);
    return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
  });
  model.dispose();
  return { bytes: Array.from(new Uint8ClampedArray(output.map((v) => v * 255))), sha256: entry.files.find((f) => f.path === entry.entry)!.sha256 };
}

export interface Timings {
  firstDenoisedAt?: number;
  backend?: string;
  inferenceMs?: number[];
  modelSha256?: string;
}

export function timings(page: Page): Promise<Timings> {
  return page.evaluate(() => (window as unknown as { __denoise?: Timings }).__denoise ?? {});
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
}
