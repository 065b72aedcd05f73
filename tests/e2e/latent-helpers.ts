import { expect, type Page } from "@playwright/test";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { fetchModels } from "@/lib/browser/model-fetch";
import { MODELS } from "@/lib/catalogue";
import type { BackendProjectMetadata } from "../../playwright.config";

/** What the latent page's specs share: opening the page on a project's backend, hovering, the decoder in Node. */

/** Tall enough for the whole plane: the mouse only reaches what is in the viewport. */
export const LATENT_VIEWPORT = { width: 1280, height: 1300 };

export function project(testInfo: { project: { metadata: unknown } }) {
  return testInfo.project.metadata as BackendProjectMetadata;
}

export async function openLatentPage(page: Page, backend: string, query: string) {
  await page.goto(`/latent${query}`);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  await expect(page.getByTestId("latent-plane")).toHaveAttribute("data-points", "10000");
  // The first decode (z = 0) is on screen.
  await expect(page.getByTestId("decoded")).toHaveAttribute("data-decoded", /\d+/);
}

/** Moves the mouse to a fraction of the plane and waits for the digit decoded there; returns z and its pixels (0-255). */
export async function hoverAt(page: Page, fx: number, fy: number): Promise<{ z: [number, number]; pixels: number[] }> {
  const plane = page.getByTestId("latent-plane");
  const box = (await plane.boundingBox())!;
  const decoded = page.getByTestId("decoded");
  const before = Number((await decoded.getAttribute("data-decoded")) ?? "0");
  await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
  await expect.poll(async () => Number((await decoded.getAttribute("data-decoded")) ?? "0")).toBeGreaterThan(before);
  return decoded.evaluate((element) => {
    const canvas = element as HTMLCanvasElement;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    const pixels: number[] = [];
    for (let i = 0; i < data.length; i += 4) pixels.push(data[i]);
    return { z: canvas.dataset.z!.split(",").map(Number) as [number, number], pixels };
  });
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

/** The decoder in Node at z, as 0-255 grey values. */
export async function decodeInNode(baseURL: string, z: [number, number]): Promise<number[]> {
  const model = await nodeModel(baseURL, MODELS.vaeDecoder.key);
  const out = tf.tidy(() => (model.predict(tf.tensor2d([z])) as tf.Tensor).dataSync() as Float32Array);
  return Array.from(out, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

