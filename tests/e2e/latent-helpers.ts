import { readFileSync } from "node:fs";
import { expect, type Locator, type Page } from "@playwright/test";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { fetchModels } from "@/lib/browser/model-fetch";
import { type EmbeddingId, LATENT_LABELS_PATH, latentCodesPath, MODELS } from "@/lib/catalogue";
import type { BackendProjectMetadata } from "../../playwright.config";

/**
 * What the latent page's specs share: opening the page on a project's backend, hovering, drawing, the shipped codes
 * and the models in Node.
 */

/** Tall enough for the whole plane: the mouse only reaches what is in the viewport. */
export const LATENT_VIEWPORT = { width: 1280, height: 1300 };

export function project(testInfo: { project: { metadata: unknown } }) {
  return testInfo.project.metadata as BackendProjectMetadata;
}

export async function openLatentPage(page: Page, backend: string, query: string) {
  await page.goto(`/latent${query}`);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  await expect(page.getByTestId("latent-plane")).toHaveAttribute("data-points", "10000");
  // The first decode (a test digit's code) is on screen.
  await expect(page.getByTestId("decoded")).toHaveAttribute("data-decoded", /\d+/);
}

/** The latent point under the client position (x, y), from the plane's view (data-view) and its box. */
export async function latentUnder(plane: Locator, x: number, y: number): Promise<[number, number]> {
  const box = (await plane.boundingBox())!;
  const [cx, cy, scale] = (await plane.getAttribute("data-view"))!.split(",").map(Number);
  return [cx + (x - box.x - box.width / 2) / scale, cy - (y - box.y - box.height / 2) / scale];
}

/** The decoded digit on screen: its z (full precision) and its pixels (0-255). */
export function decodedDigit(page: Page): Promise<{ z: [number, number]; pixels: number[] }> {
  return page.getByTestId("decoded").evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const { data } = canvas.getContext("2d", { willReadFrequently: true })!.getImageData(0, 0, canvas.width, canvas.height);
    const pixels: number[] = [];
    for (let i = 0; i < data.length; i += 4) pixels.push(data[i]);
    return { z: canvas.dataset.z!.split(",").map(Number) as [number, number], pixels };
  });
}

/** Waits until the decoded digit is the one at z (to 1e-3: data-view rounds the view to 4 decimals). */
export async function expectDecodedAt(page: Page, z: [number, number], what: string) {
  const decoded = page.getByTestId("decoded");
  await expect
    .poll(async () => {
      const shown = ((await decoded.getAttribute("data-z")) ?? "NaN,NaN").split(",").map(Number);
      return Math.hypot(shown[0] - z[0], shown[1] - z[1]) < 1e-3 ? "under the pointer" : `decoded at ${shown} while the pointer rests at ${z}`;
    }, { message: what })
    .toBe("under the pointer");
}

/**
 * Moves the mouse to a fraction of the plane (in `steps` moves; 1 is a single jump) and waits until the digit
 * decoded is the one under the resting pointer; returns it. The point must be in the viewport: the browser sends
 * no event for a pointer outside it, and the page would rightly keep the last digit.
 */
export async function hoverAt(page: Page, fx: number, fy: number, steps = 1): Promise<{ z: [number, number]; pixels: number[] }> {
  const plane = page.getByTestId("latent-plane");
  const box = (await plane.boundingBox())!;
  const [x, y] = [box.x + fx * box.width, box.y + fy * box.height];
  const viewport = page.viewportSize()!;
  if (x < 0 || y < 0 || x >= viewport.width || y >= viewport.height) throw new Error(`(${fx}, ${fy}) of the plane is outside the viewport: scroll it into view`);
  await page.mouse.move(x, y, { steps });
  await expectDecodedAt(page, await latentUnder(plane, x, y), `hover at (${fx}, ${fy}) of the plane in ${steps} step(s)`);
  return decodedDigit(page);
}

/** Draws a "7" on the pad (a top bar and a diagonal) with the mouse. */
export async function drawSeven(page: Page) {
  const pad = page.getByTestId("draw-pad");
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(0.3, 0.25));
  await page.mouse.down();
  for (const [fx, fy] of [[0.5, 0.25], [0.7, 0.25], [0.6, 0.5], [0.5, 0.75]]) await page.mouse.move(...at(fx, fy), { steps: 5 });
  await page.mouse.up();
}

/** The shipped 2-D test codes of one embedding and the test labels, as the page downloads them. */
export function shippedCodes(id: EmbeddingId): { codes: Float32Array; labels: Uint8Array } {
  const bytes = readFileSync(`models/${latentCodesPath(id)}`);
  return { codes: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)), labels: new Uint8Array(readFileSync(`models/${LATENT_LABELS_PATH}`)) };
}

const nodeModels = new Map<string, LayersModel>();

/** A model fetched from the app and run in Node (tfjs CPU), with the same sha256 checks as the page. */
export async function nodeModel(baseURL: string, name: string): Promise<LayersModel> {
  if (!nodeModels.has(name)) {
    await tf.setBackend("cpu");
    const { models } = await fetchModels(`${baseURL}/api/models`, [name]);
    nodeModels.set(name, await loadLayersModel({ load: async () => models[0].artifacts }));
  }
  return nodeModels.get(name)!;
}

/** The decoder's pixel probabilities in Node at z. */
export async function decoderInNode(baseURL: string, z: [number, number]): Promise<Float32Array> {
  const model = await nodeModel(baseURL, MODELS.vaeDecoder.key);
  return tf.tidy(() => (model.predict(tf.tensor2d([z])) as tf.Tensor).dataSync() as Float32Array);
}

/** The decoder in Node at z, as 0-255 grey values (as a canvas shows them). */
export async function decodeInNode(baseURL: string, z: [number, number]): Promise<number[]> {
  return Array.from(await decoderInNode(baseURL, z), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

/** The encoder in Node: the mean and log-variance of one digit's code. */
export async function encoderInNode(baseURL: string, input: number[]): Promise<{ mean: [number, number]; logVar: [number, number] }> {
  const model = await nodeModel(baseURL, MODELS.vaeEncoder.key);
  const [mean, logVar] = tf.tidy(() => (model.predict(tf.tensor2d([input])) as tf.Tensor[]).map((t) => Array.from(t.dataSync()) as [number, number]));
  return { mean, logVar };
}

