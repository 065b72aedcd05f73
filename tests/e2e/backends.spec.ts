import { mkdirSync, writeFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import type { BackendProjectMetadata } from "../../playwright.config";
import { canvasRgb, denoiseInNode, median, readPsnr, setGaussian, timings, uploadFace, waitForResult } from "./helpers";

/**
 * Each rung of the backend chain, reached when the browser flags of this project (playwright.config.ts) switch off
 * the rungs above it, after giving the DAE's reference answer (lib/reference.ts); and the page works there:
 * upload, gaussian 0.1, denoised PSNR above the noisy one, the same pixels as the model gives in Node.
 * Writes the measured times to test-results/timings/<backend>.json (a record, not an assertion). Every project runs
 * this file; the whole photo on each backend is in whole-photo.spec.ts, the default chain in default-chain.spec.ts.
 */

test("the chain ends up on this project's backend, and denoises there as the model does in Node", async ({ page, baseURL }, testInfo) => {
  const { backend, query } = testInfo.project.metadata as BackendProjectMetadata;
  await page.goto(`/denoise${query}`);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  // The sample face loaded on arrival is denoised: page load -> first denoised image.
  await waitForResult(page, 180_000);
  const first = await timings(page);

  await uploadFace(page);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  const { noisy, denoised } = await readPsnr(page);
  expect(noisy).toBeGreaterThan(15);
  expect(denoised).toBeGreaterThan(noisy);

  // The same model in Node (tfjs CPU) gives the same output for the page's noisy input: the whole photo (64x64).
  const noisyPixels = await canvasRgb(page, "full-noisy");
  expect([noisyPixels.width, noisyPixels.height]).toEqual([64, 64]);
  const node = await denoiseInNode(baseURL!, noisyPixels);
  const shown = await canvasRgb(page, "full-denoised");
  let max = 0;
  let sum = 0;
  for (let i = 0; i < node.bytes.length; i++) {
    const d = Math.abs(node.bytes[i] - shown.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  expect(node.sha256).toBe((await timings(page)).modelSha256);
  expect(max).toBeLessThanOrEqual(3);
  expect(sum / node.bytes.length).toBeLessThan(0.5);

  // A few more inferences for a steadier per-inference time (one on slow backends).
  const extra = (first.inferenceMs?.[0] ?? 0) > 2000 ? 1 : 3;
  for (let i = 0; i < extra; i++) {
    await page.getByRole("button", { name: "New noise" }).click();
    await waitForResult(page);
  }
  const all = await timings(page);
  expect(all.backend).toBe(backend);
  const passedOver = (await page.getByTestId("backend-attempts").allTextContents()).join(" ");
  const record = {
    backend,
    firstDenoisedAtMs: Math.round(first.firstDenoisedAt ?? NaN),
    inferenceMs: all.inferenceMs?.map((ms) => Math.round(ms * 10) / 10),
    medianInferenceMs: Math.round(median(all.inferenceMs?.slice(1) ?? []) * 10) / 10,
    psnr: { noisy, denoised },
    nodeDiff: { max, mean: Math.round((sum / node.bytes.length) * 1000) / 1000 },
    passedOver,
  };
  mkdirSync("test-results/timings", { recursive: true });
  writeFileSync(`test-results/timings/${backend}.json`, `${JSON.stringify(record, null, 2)}\n`);
  await testInfo.attach("timings", { body: JSON.stringify(record, null, 2), contentType: "application/json" });
  console.log(`[${backend}] page load -> first denoised ${record.firstDenoisedAtMs} ms; inference median ${record.medianInferenceMs} ms`);
  await page.screenshot({ path: `test-results/screenshots/denoise-${backend}.png`, fullPage: true });
});
