import { mkdirSync, writeFileSync } from "node:fs";
import { expect, test } from "@playwright/test";
import type { BackendProjectMetadata } from "../../playwright.config";
import { canvasRgb, denoiseInNode, expectedDefaultBackend, median, readPsnr, setGaussian, timings, uploadFace, waitForResult } from "./helpers";

/**
 * Each rung of the backend chain, reached when the browser flags of this project (playwright.config.ts) switch off
 * the rungs above it; and the page works there: upload, gaussian 0.1, denoised PSNR above the noisy one.
 * Writes the measured times to test-results/timings/<backend>.json.
 */

test("the chain ends up on this project's backend, and denoises there as the model does in Node", async ({ page, baseURL }, testInfo) => {
  const { backend, query } = testInfo.project.metadata as BackendProjectMetadata;
  await page.goto(`/denoise${query}`);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  // The sample face loaded on arrival is denoised: page load -> first denoised image.
  await waitForResult(page);
  const first = await timings(page);

  await uploadFace(page);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  const { noisy, denoised } = await readPsnr(page);
  expect(noisy).toBeGreaterThan(15);
  expect(denoised).toBeGreaterThan(noisy);

  // The same model in Node (tfjs CPU) gives the same output for the page's noisy input.
  const node = await denoiseInNode(baseURL!, await canvasRgb(page, "noisy"));
  const shown = await canvasRgb(page, "denoised");
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

test("without ?backends=, a device whose only GPU is software starts on WASM", async ({ page }, testInfo) => {
  const { backend } = testInfo.project.metadata as BackendProjectMetadata;
  test.skip(backend !== "webgpu" && backend !== "webgl", "the projects with a (software) GPU");
  await page.goto("/denoise");
  await expect(page.getByTestId("backend")).toHaveText(await expectedDefaultBackend(page), { timeout: 120_000 });
  await waitForResult(page);
  // WASM was the first rung tried: no GPU backend was started and passed over on the way.
  expect((await page.getByTestId("backend-attempts").allTextContents()).join(" ")).not.toMatch(/webgpu|webgl/i);
});

test("the whole photo on the server: sent tile by tile, assembled at its own size", async ({ page }, testInfo) => {
  const { backend, query } = testInfo.project.metadata as BackendProjectMetadata;
  test.skip(backend !== "server", "the tiled path of the server rung; the client rungs run it in denoise.spec.ts");
  const posts: number[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/denoise") && r.method() === "POST") posts.push(r.postDataBuffer()?.length ?? 0);
  });
  await page.goto(`/denoise${query}${query ? "&" : "?"}tile=32`);
  await waitForResult(page);
  await uploadFace(page, "tests/fixtures/images/c-wide.jpg");
  await setGaussian(page, 0.1);
  await waitForResult(page);
  const before = posts.length;
  await page.getByTestId("denoise-full").click();
  const result = page.getByTestId("full-result");
  await expect(result).toBeVisible();
  await expect(result).toHaveAttribute("data-width", "96");
  await expect(result).toHaveAttribute("data-height", "64");
  const tiles = Number(await result.getAttribute("data-tiles"));
  expect(tiles).toBeGreaterThan(1);
  expect(posts.length - before).toBe(tiles);
  expect(Number(await page.getByTestId("full-psnr-denoised").textContent())).toBeGreaterThan(Number(await page.getByTestId("full-psnr-noisy").textContent()));
});
