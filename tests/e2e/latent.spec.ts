import { mkdirSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import * as tf from "@tensorflow/tfjs-core";
import { EMBEDDING_IDS, MODELS } from "@/lib/catalogue";
import { hoverAt, LATENT_VIEWPORT, nodeModel, openLatentPage, project } from "./latent-helpers";

/**
 * The MNIST latent page (/latent) in full, run by the webgl and wasm projects (playwright.config.ts); every project
 * checks that it decodes on its own backend (latent-backends.spec.ts). Its hover-to-decode latency is a benchmark,
 * not a test: `npm run bench:browser` (scripts/bench-browser.mjs).
 */

test.use({ viewport: LATENT_VIEWPORT });

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

test.describe("the latent page", () => {
  test("the scatter shows the 10,000 test digits of each embedding, the legend toggles digits, and the 5-NN accuracies are shown", async ({ page }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openLatentPage(page, backend, query);
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
    await openLatentPage(page, backend, query);
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
    await openLatentPage(page, backend, query);
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
    await openLatentPage(page, backend, query);
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
