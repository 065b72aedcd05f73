import { expect, type Page } from "@playwright/test";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel } from "@tensorflow/tfjs-layers";
import { fetchModels } from "@/lib/browser/model-fetch";
import { MODELS } from "@/lib/catalogue";

export const FIXTURES = "tests/fixtures/images";
export const BACKEND_NAMES = /^(webgpu|webgl|wasm|cpu|server)$/;

/**
 * Where the default chain should start in this browser: WASM when its WebGL renderer is a software one (SwiftShader
 * on this GPU-less machine), else a GPU backend. Read independently of lib/inference/device-class.ts.
 */
export async function expectedDefaultBackend(page: Page): Promise<RegExp> {
  const renderer = await page.evaluate(() => {
    const gl = document.createElement("canvas").getContext("webgl2");
    const info = gl?.getExtension("WEBGL_debug_renderer_info");
    return gl && info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : null;
  });
  return renderer === null || /swiftshader/i.test(renderer) ? /^wasm$/ : /^(webgpu|webgl)$/;
}

/** Waits until the page has a backend and a denoised result for its current settings. */
export async function waitForResult(page: Page) {
  await expect(page.getByTestId("backend")).toHaveText(BACKEND_NAMES);
  await expect(page.getByTestId("results")).toHaveAttribute("aria-busy", "false");
  await expect(page.getByTestId("psnr-denoised")).not.toHaveText("–");
}

export async function setGaussian(page: Page, level: number) {
  await page.getByTestId("noise-kind").selectOption("gaussian");
  await page.getByTestId("noise-level").fill(String(level));
  await expect(page.getByTestId("noise-level")).toHaveValue(String(level));
}

export async function uploadFace(page: Page, file = `${FIXTURES}/a-face.png`) {
  const name = file.split("/").pop()!;
  await page.getByTestId("upload").setInputFiles(file);
  await expect(page.getByText(name, { exact: false }).first()).toBeVisible();
}

export async function readPsnr(page: Page): Promise<{ noisy: number; denoised: number }> {
  const noisy = Number(await page.getByTestId("psnr-noisy").textContent());
  const denoised = Number(await page.getByTestId("psnr-denoised").textContent());
  return { noisy, denoised };
}

/** A canvas' pixels as RGB bytes. */
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
