import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { RUNS } from "@/lib/catalogue";
import { NearestCodes } from "@/lib/knn";
import { vaeLossTerms } from "@/lib/vae-loss";
import {
  decodedDigit,
  decodeInNode,
  decoderInNode,
  drawSeven,
  encoderInNode,
  expectDecodedAt,
  hoverAt,
  LATENT_VIEWPORT,
  latentUnder,
  openLatentPage,
  project,
  shippedCodes,
} from "./latent-helpers";

/**
 * What the latent page computes, on every project's backend (the server fallback included): hovering decodes where
 * the pointer rests, and a drawn digit's path, label and loss terms are the models' in Node. The rest of the page:
 * latent.spec.ts, on webgl and wasm.
 */

test.use({ viewport: LATENT_VIEWPORT });

/** The most any pixel of the page's digit differs from the decoder's in Node at the same z (0-255). */
async function maxDifferenceFromNode(baseURL: string, shown: { z: [number, number]; pixels: number[] }) {
  const node = await decodeInNode(baseURL, shown.z);
  return Math.max(...node.map((v, i) => Math.abs(v - shown.pixels[i])));
}

/** Reads a data attribute of comma-separated numbers. */
async function numbers(page: Page, testId: string, attribute: string): Promise<number[]> {
  const value = await page.getByTestId(testId).getAttribute(attribute);
  return value ? value.split(",").map(Number) : [];
}

test.describe("the latent page", () => {
  test("the decoded digit is the one under the resting pointer: one jump, several steps, or a view that moves under it", async ({ page, baseURL }, testInfo) => {
    const { backend, query } = project(testInfo);
    const warnings: string[] = [];
    page.on("console", (message) => message.type() === "warning" && warnings.push(message.text()));
    await openLatentPage(page, backend, query);

    // Before the pointer arrives: the first test digit at its code, not z = (0, 0).
    const { codes, labels } = shippedCodes(RUNS.vae.name);
    await expectDecodedAt(page, [codes[0], codes[1]], "the first digit on show");
    await expect(page.getByTestId("decoded-note")).toContainText(`test digit 1, a ${labels[0]}`);

    // One jump each (Playwright's mouse.move in one step: a single pointermove), between far-apart points.
    const a = await hoverAt(page, 0.2, 0.2);
    const b = await hoverAt(page, 0.8, 0.8);
    const back = await hoverAt(page, 0.2, 0.2);
    expect(Math.hypot(a.z[0] - b.z[0], a.z[1] - b.z[1])).toBeGreaterThan(1);
    const meanDifference = a.pixels.reduce((sum, v, i) => sum + Math.abs(v - b.pixels[i]), 0) / a.pixels.length;
    expect(meanDifference).toBeGreaterThan(10);
    expect(back.z).toEqual(a.z);
    // Several moves in a row, faster than a slow backend decodes: the last point wins.
    const c = await hoverAt(page, 0.75, 0.3, 8);
    for (const shown of [a, b, c]) expect(await maxDifferenceFromNode(baseURL!, shown), `z = ${shown.z}`).toBeLessThanOrEqual(3);

    // The view zooms (the + key) under the resting pointer: the point under it changes without a pointer event.
    const plane = page.getByTestId("latent-plane");
    const box = (await plane.boundingBox())!;
    const view = (await plane.getAttribute("data-view"))!;
    await plane.focus();
    await page.keyboard.press("+");
    await expect(plane).not.toHaveAttribute("data-view", view);
    await expectDecodedAt(page, await latentUnder(plane, box.x + 0.75 * box.width, box.y + 0.3 * box.height), "after zooming under the pointer");
    expect(await maxDifferenceFromNode(baseURL!, await decodedDigit(page))).toBeLessThanOrEqual(3);

    // The digits were read back from their canvas several times: with willReadFrequently, Chromium has no advice.
    expect(warnings.filter((w) => w.includes("willReadFrequently"))).toEqual([]);
  });

  test("a drawn digit: its mean, spread, sample, decoding, loss terms and label are the models' in Node", async ({ page, baseURL }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openLatentPage(page, backend, query);
    await drawSeven(page);
    const loss = page.getByTestId("drawn-loss");
    await expect(loss).toHaveAttribute("data-reconstruction", /\d/);

    // The encoder's input, as the page shows it (8-bit, as MNIST's digits are, and as the page encodes it).
    const input = await page.getByTestId("drawn-input").evaluate((element) => {
      const canvas = element as HTMLCanvasElement;
      const { data } = canvas.getContext("2d", { willReadFrequently: true })!.getImageData(0, 0, 28, 28);
      return Array.from({ length: 784 }, (_, i) => data[4 * i] / 255);
    });
    expect(input.filter((v) => v > 0.5).length).toBeGreaterThan(20);
    const { mean, logVar } = await encoderInNode(baseURL!, input);
    const shownMean = await numbers(page, "drawn-code", "data-mean");
    const marker = (await page.getByTestId("latent-plane").getAttribute("data-marker"))!.split(",").map(Number);
    for (const axis of [0, 1]) {
      expect(Math.abs(shownMean[axis] - mean[axis])).toBeLessThan(0.01);
      expect(Math.abs(marker[axis] - mean[axis])).toBeLessThan(0.01);
    }

    // The sample: z = mean + exp(logVar / 2) * epsilon.
    const epsilon = await numbers(page, "drawn-sample", "data-epsilon");
    const z = (await numbers(page, "drawn-sample", "data-z")) as [number, number];
    for (const axis of [0, 1]) expect(Math.abs(z[axis] - (mean[axis] + Math.exp(logVar[axis] / 2) * epsilon[axis]))).toBeLessThan(0.01);

    // The loss terms in nats, as training computes them: the decoder's Bernoulli at the sample, the encoder's KL.
    const expected = vaeLossTerms(input, await decoderInNode(baseURL!, z), mean, logVar);
    const [reconstruction, kl] = [Number(await loss.getAttribute("data-reconstruction")), Number(await loss.getAttribute("data-kl"))];
    expect(reconstruction).toBeGreaterThan(10);
    expect(Math.abs(reconstruction - expected.reconstruction) / expected.reconstruction).toBeLessThan(0.01);
    expect(Math.abs(kl - expected.kl)).toBeLessThan(0.05 + 0.01 * expected.kl);
    await expect(loss).toContainText(`${(reconstruction + kl).toFixed(1)} nats`);

    // The label: the vote of the 5 nearest VAE test codes to the mean.
    const { codes, labels } = shippedCodes(RUNS.vae.name);
    const nearest = new NearestCodes({ codes, labels }).nearest(shownMean[0], shownMean[1], 5);
    const label = page.getByTestId("drawn-label");
    await expect(label).toHaveAttribute("data-label", String(nearest.vote));
    await expect(label).toHaveAttribute("data-neighbours", nearest.labels.join(","));
    await expect(label).toContainText(`among the ${nearest.vote}s`);

    // A new sample: another draw and another decoding; the KL depends on the mean and spread only.
    await page.getByTestId("new-sample").click();
    await expect(page.getByTestId("drawn-sample")).not.toHaveAttribute("data-epsilon", epsilon.join(","));
    await expect(loss).toHaveAttribute("data-reconstruction", /\d/);
    expect(Number(await loss.getAttribute("data-kl"))).toBeCloseTo(kl, 9);
  });
});
