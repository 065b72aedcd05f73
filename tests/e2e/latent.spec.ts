import { mkdirSync, writeFileSync } from "node:fs";
import { expect, type Page, test } from "@playwright/test";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { fetchModels } from "@/lib/browser/model-fetch";
import type { BackendProjectMetadata } from "../../playwright.config";
import { median } from "./helpers";
import { EMBEDDING_IDS, MODELS } from "@/lib/catalogue";

/**
 * The MNIST latent page (/latent). The full spec runs on the webgl and wasm projects; every backend project
 * measures hover-to-decode latency (pointer event -> decoded digit painted), written to
 * test-results/timings/latent-<backend>.json.
 */

const FULL_SPEC = ["webgl", "wasm"];

// Tall enough for the whole plane: the mouse only reaches what is in the viewport.
test.use({ viewport: { width: 1280, height: 1300 } });

function project(testInfo: { project: { metadata: unknown } }) {
  return testInfo.project.metadata as BackendProjectMetadata;
}

async function openPage(page: Page, backend: string, query: string) {
  await page.goto(`/latent${query}`);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  await expect(page.getByTestId("latent-plane")).toHaveAttribute("data-points", "10000");
  // The first decode (z = 0) is on screen.
  await expect(page.getByTestId("decoded")).toHaveAttribute("data-decoded", /\d+/);
}

/** Moves the mouse to a fraction of the plane and waits for the digit decoded there; returns z and its pixels (0-255). */
async function hoverAt(page: Page, fx: number, fy: number): Promise<{ z: [number, number]; pixels: number[] }> {
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

/** Draws a "7" on the pad (a top bar and a diagonal) with the mouse. */
async function drawSeven(page: Page) {
  const pad = page.getByTestId("draw-pad");
  await pad.scrollIntoViewIfNeeded();
  const box = (await pad.boundingBox())!;
  const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
  await page.mouse.move(...at(0.3, 0.25));
  await page.mouse.down();
  for (const [fx, fy] of [[0.5, 0.25], [0.7, 0.25], [0.6, 0.5], [0.5, 0.75]]) await page.mouse.move(...at(fx, fy), { steps: 5 });
  await page.mouse.up();
}

const nodeModels = new Map<string, LayersModel>();
async function nodeModel(baseURL: string, name: string): Promise<LayersModel> {
  if (!nodeModels.has(name)) {
    await tf.setBackend("cpu");
    const { models } = await fetchModels(`${baseURL}/api/models`, [name]);
    nodeModels.set(name, await loadLayersModel({ load: async () => models[0].artifacts }));
  }
  return nodeModels.get(name)!;
}

async function decodeInNode(baseURL: string, z: [number, number]): Promise<number[]> {
  const model = await nodeModel(baseURL, MODELS.vaeDecoder.key);
  const out = tf.tidy(() => (model.predict(tf.tensor2d([z])) as tf.Tensor).dataSync() as Float32Array);
  return Array.from(out, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
}

test.describe("the latent page", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(!FULL_SPEC.includes(project(testInfo).backend), "the full latent spec runs on webgl and wasm");
  });

  test("hovering two far-apart points decodes two different digits, each as the decoder does in Node", async ({ page, baseURL }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openPage(page, backend, query);
    const a = await hoverAt(page, 0.2, 0.2);
    const b = await hoverAt(page, 0.8, 0.8);
    expect(Math.hypot(a.z[0] - b.z[0], a.z[1] - b.z[1])).toBeGreaterThan(1);
    let differ = 0;
    for (let i = 0; i < a.pixels.length; i++) differ += Math.abs(a.pixels[i] - b.pixels[i]);
    expect(differ / a.pixels.length).toBeGreaterThan(10);
    for (const shown of [a, b]) {
      const node = await decodeInNode(baseURL!, shown.z);
      let max = 0;
      for (let i = 0; i < node.length; i++) max = Math.max(max, Math.abs(node[i] - shown.pixels[i]));
      expect(max, `z = ${shown.z}`).toBeLessThanOrEqual(3);
    }
  });

  test("the scatter shows the 10,000 test digits of each embedding, the legend toggles digits, and the 5-NN accuracies are shown", async ({ page }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openPage(page, backend, query);
    for (const id of EMBEDDING_IDS) {
      await expect(page.getByTestId(`plane-${id}`)).toHaveAttribute("data-points", "10000");
      await expect(page.getByTestId(`knn5-${id}`)).toHaveText(/5-NN accuracy \d+\.\d%/);
    }
    const one = page.getByTestId("legend-1").first();
    await one.click();
    await expect(one).toHaveAttribute("aria-pressed", "false");
    // MNIST's test set has 1,135 ones.
    await expect(page.getByTestId("latent-plane")).toHaveAttribute("data-points", String(10000 - 1135));
    await one.click();
    await expect(page.getByTestId("latent-plane")).toHaveAttribute("data-points", "10000");
    // Wheel zoom changes the view.
    const plane = page.getByTestId("latent-plane");
    const view = await plane.getAttribute("data-view");
    const box = (await plane.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -300);
    await expect(plane).not.toHaveAttribute("data-view", view!);
  });

  test("drawing a digit places a marker at the encoder's mean, and it is reconstructed", async ({ page, baseURL }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openPage(page, backend, query);
    await drawSeven(page);
    await expect(page.getByTestId("latent-plane")).toHaveAttribute("data-marker", /^-?\d+\.\d+,-?\d+\.\d+$/);
    const marker = (await page.getByTestId("latent-plane").getAttribute("data-marker"))!.split(",").map(Number);
    // The same encoder in Node, on the 28x28 input the page shows (8-bit, so a small tolerance).
    const input = await page.getByTestId("drawn-input").evaluate((element) => {
      const canvas = element as HTMLCanvasElement;
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, 28, 28);
      return Array.from({ length: 784 }, (_, i) => data[4 * i] / 255);
    });
    expect(input.filter((v) => v > 0.5).length).toBeGreaterThan(20);
    const encoder = await nodeModel(baseURL!, MODELS.vaeEncoder.key);
    const mean = tf.tidy(() => Array.from((encoder.predict(tf.tensor2d([input])) as tf.Tensor[])[0].dataSync()));
    expect(Math.abs(mean[0] - marker[0])).toBeLessThan(0.05);
    expect(Math.abs(mean[1] - marker[1])).toBeLessThan(0.05);
    await expect(page.getByTestId("drawn-code")).toContainText("std");
  });

  test("a finger decodes as it moves, a tap pins, two fingers pinch-zoom", async ({ page }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openPage(page, backend, query);
    const plane = page.getByTestId("latent-plane");
    const box = (await plane.boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: "touchStart" | "touchMove" | "touchEnd", points: [number, number][]) =>
      cdp.send("Input.dispatchTouchEvent", { type, touchPoints: points.map(([fx, fy], id) => ({ x: box.x + fx * box.width, y: box.y + fy * box.height, id })) });
    const decoded = page.getByTestId("decoded");
    const before = Number(await decoded.getAttribute("data-decoded"));
    await touch("touchStart", [[0.3, 0.3]]);
    for (let i = 1; i <= 5; i++) await touch("touchMove", [[0.3 + 0.08 * i, 0.3 + 0.05 * i]]);
    await touch("touchEnd", []);
    await expect.poll(async () => Number(await decoded.getAttribute("data-decoded"))).toBeGreaterThan(before + 1);
    await expect(plane).toHaveAttribute("data-pins", "0");
    await touch("touchStart", [[0.5, 0.5]]);
    await touch("touchEnd", []);
    await expect(plane).toHaveAttribute("data-pins", "1");
    const view = (await plane.getAttribute("data-view"))!;
    await touch("touchStart", [[0.45, 0.5], [0.55, 0.5]]);
    for (let i = 1; i <= 5; i++) await touch("touchMove", [[0.45 - 0.04 * i, 0.5], [0.55 + 0.04 * i, 0.5]]);
    await touch("touchEnd", []);
    await expect(plane).not.toHaveAttribute("data-view", view);
    const scale = (v: string) => Number(v.split(",")[2]);
    expect(scale((await plane.getAttribute("data-view"))!)).toBeGreaterThan(scale(view) * 2);
    await expect(plane).toHaveAttribute("data-pins", "1");
  });

  test("pins, interpolation, prior samples and the manifold grid", async ({ page }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openPage(page, backend, query);
    const plane = page.getByTestId("latent-plane");
    const box = (await plane.boundingBox())!;
    await page.mouse.click(box.x + 0.3 * box.width, box.y + 0.3 * box.height);
    await page.mouse.click(box.x + 0.7 * box.width, box.y + 0.6 * box.height);
    await expect(plane).toHaveAttribute("data-pins", "2");
    await expect(page.getByTestId("interpolation").getByRole("img")).toHaveCount(10);
    await page.getByTestId("sample-prior").click();
    await expect(page.getByTestId("prior-samples").getByRole("img")).toHaveCount(16);
    await page.getByTestId("show-grid").check();
    await drawSeven(page);
    await expect(plane).toHaveAttribute("data-marker", /\d/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await hoverAt(page, 0.62, 0.35);
    // Let the manifold and the marks reach the screen (the screenshot for the README: docs/latent-page.png).
    await page.waitForTimeout(1000);
    mkdirSync("test-results/screenshots", { recursive: true });
    await page.screenshot({ path: `test-results/screenshots/latent-${backend}.png`, fullPage: true });
  });
});

test("hover-to-decode latency on this project's backend", async ({ page }, testInfo) => {
  const { backend, query } = project(testInfo);
  await openPage(page, backend, query);
  const positions = Array.from({ length: 12 }, (_, i) => [0.15 + 0.7 * ((i * 7) % 12) / 11, 0.15 + 0.7 * ((i * 5) % 12) / 11] as const);
  for (const [fx, fy] of positions) await hoverAt(page, fx, fy);
  const timings = await page.evaluate(() => window.__latent!);
  expect(timings.backend).toBe(backend);
  // The first entry is the z = 0 decode on arrival; the rest are hovers.
  const hover = timings.hoverMs.slice(1);
  const record = {
    backend,
    hoverMs: hover.map((ms) => Math.round(ms * 10) / 10),
    medianHoverMs: Math.round(median(hover) * 10) / 10,
    medianInferenceMs: Math.round(median(timings.inferenceMs.slice(1)) * 10) / 10,
  };
  mkdirSync("test-results/timings", { recursive: true });
  writeFileSync(`test-results/timings/latent-${backend}.json`, `${JSON.stringify(record, null, 2)}\n`);
  await testInfo.attach("latent-timings", { body: JSON.stringify(record, null, 2), contentType: "application/json" });
  console.log(`[${backend}] hover -> decoded digit median ${record.medianHoverMs} ms (inference ${record.medianInferenceMs} ms)`);
});
