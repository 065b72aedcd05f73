import type { Page, TestInfo } from "@playwright/test";
import { expect, test } from "./fixtures";
import sharp from "sharp";
import { pixelImage } from "@/lib/image";
import { addNoise } from "@/lib/noise";
import type { BackendProjectMetadata } from "../../playwright.config";
import { canvasRgb, denoiseInNode, FIXTURES, readPsnr, reportBackendOnFailure, resultSize, setGaussian, uploadFace, waitForResult, watchPage } from "./helpers";

/**
 * The denoising page's flows (issue 16), on the default chain (the webgl project's browser, without `?backends=`:
 * WASM first here) and on the server fallback (the server project, whose browser runs nothing else): the whole
 * photo against the same model in Node, a photo that is already noisy, cancel, share, and a backend that cannot
 * run the model.
 */

/** Per project: the page's URL query, and a backend its browser cannot run (chosen by hand, it fails). */
const FLOWS: Record<string, { query: (meta: BackendProjectMetadata) => string; unavailable: string; backend: string }> = {
  webgl: { query: () => "", unavailable: "webgpu", backend: "wasm" },
  server: { query: (meta) => meta.query, unavailable: "wasm", backend: "server" },
};

let seen: string[] = [];
test.beforeEach(({ page }) => {
  seen = watchPage(page);
});
test.afterEach(async ({ page }, testInfo) => reportBackendOnFailure(page, testInfo, seen));

function flow(testInfo: TestInfo) {
  const meta = testInfo.project.metadata as BackendProjectMetadata;
  const setup = FLOWS[meta.backend];
  if (!setup) throw new Error(`denoise-flow.spec.ts has no setup for the ${meta.backend} project: add one to FLOWS`);
  return { ...setup, query: setup.query(meta) };
}

/** The page on this project's chain (plus `extra` URL settings), once the first sample is denoised. */
async function open(page: Page, testInfo: TestInfo, extra = "") {
  const { query, backend } = flow(testInfo);
  const url = `/denoise${query}${extra ? `${query ? "&" : "?"}${extra}` : ""}`;
  await page.goto(url);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  await waitForResult(page);
  return flow(testInfo);
}

test("a face with gaussian noise: denoised beats noisy, whole and close up, as the same model does in Node", async ({ page, baseURL }, testInfo) => {
  await open(page, testInfo);
  await uploadFace(page);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  const whole = await readPsnr(page, "full-");
  expect(whole.denoised).toBeGreaterThan(whole.noisy);
  const close = await readPsnr(page);
  expect(close.denoised).toBeGreaterThan(close.noisy);
  expect(Number(await page.getByTestId("full-ssim-denoised").textContent())).toBeGreaterThan(Number(await page.getByTestId("full-ssim-noisy").textContent()));

  const noisy = await canvasRgb(page, "full-noisy");
  const shown = await canvasRgb(page, "full-denoised");
  expect([noisy.width, noisy.height]).toEqual([64, 64]);
  const node = await denoiseInNode(baseURL!, noisy);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < node.bytes.length; i++) {
    const d = Math.abs(node.bytes[i] - shown.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  console.log(`page vs Node: max |diff| ${max}/255, mean ${(sum / node.bytes.length).toFixed(3)}/255`);
  expect(max).toBeLessThanOrEqual(3);
  expect(sum / node.bytes.length).toBeLessThan(0.5);
});

test("a photo that is already noisy: no PSNR or SSIM, the estimated noise before and after instead", async ({ page }, testInfo) => {
  // ?budget: a generous time, so the photo is denoised at its own size and its noise is the noise added here.
  await open(page, testInfo, "budget=120000");
  const { data, info } = await sharp(`${FIXTURES}/e-portrait.jpg`).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const noisy = addNoise(pixelImage(new Uint8ClampedArray(data), info.width, info.height), { kind: "gaussian", level: 0.08 }, 7);
  const png = await sharp(Buffer.from(noisy.data), { raw: { width: info.width, height: info.height, channels: 3 } }).png().toBuffer();
  await page.getByTestId("upload").setInputFiles({ name: "noisy-portrait.png", mimeType: "image/png", buffer: png });
  await page.getByTestId("noise-kind").selectOption("none");
  await waitForResult(page);
  expect(await resultSize(page)).toEqual({ width: 320, height: 400 });
  await expect(page.getByTestId("full-psnr-noisy")).toHaveCount(0);
  await expect(page.getByTestId("full-ssim-denoised")).toHaveCount(0);
  await expect(page.getByTestId("psnr-denoised")).toHaveCount(0);
  const sigma = async (id: string) => Number((await page.getByTestId(id).textContent())!.replace("σ ≈ ", ""));
  const before = await sigma("full-noise-before");
  const after = await sigma("full-noise-after");
  console.log(`noise added σ 0.08: estimated ${before} before, ${after} after denoising`);
  expect(before).toBeGreaterThan(0.065);
  expect(before).toBeLessThan(0.095);
  expect(after).toBeLessThan(before / 2);
  // The close look says the same of its square.
  expect(await sigma("noise-before")).toBeGreaterThan(await sigma("noise-after"));
  await expect(page.getByText("no clean original", { exact: false }).first()).toBeVisible();
});

test("cancel keeps the previous whole-photo result", async ({ page }, testInfo) => {
  // ?budget=1: the quick size is the smallest (64 pixels); ?tile=32: the photo's own size is many tiles.
  await open(page, testInfo, "budget=1&tile=32");
  await uploadFace(page, `${FIXTURES}/e-portrait.jpg`);
  await waitForResult(page);
  const quick = await resultSize(page);
  expect(quick).toEqual({ width: 51, height: 64 });
  const result = page.getByTestId("full-result");
  await page.getByTestId("full-size").selectOption("320x400");
  await expect(result).toHaveAttribute("data-state", "running");
  await expect(result).toHaveAttribute("data-width", "320");
  await expect(page.getByTestId("full-progress")).toBeVisible();
  await page.getByTestId("full-cancel").click();
  await expect(result).toHaveAttribute("data-state", "done");
  expect(await resultSize(page)).toEqual(quick);
  await expect(page.getByTestId("full-cancel")).toHaveCount(0);
  // The cancelled size waits for a click, and does not start again by itself.
  await expect(page.getByTestId("denoise-full")).toContainText("Denoise at 320×400");
  await page.waitForTimeout(1000);
  await expect(result).toHaveAttribute("data-width", String(quick.width));
});

test("share: the link shows exactly the noisy and denoised photo", async ({ page, request }, testInfo) => {
  await open(page, testInfo);
  await uploadFace(page);
  await setGaussian(page, 0.2);
  await waitForResult(page);
  const [noisy, denoised] = [await canvasRgb(page, "full-noisy"), await canvasRgb(page, "full-denoised")];
  await page.getByTestId("share").click();
  const link = page.getByTestId("share-link");
  await expect(link).toBeVisible();
  const href = (await link.getAttribute("href"))!;
  const id = href.split("/").pop()!;
  const record = await (await request.get(`/api/share/${id}`)).json();
  expect(record).toMatchObject({ width: 64, height: 64, noise: { kind: "gaussian", level: 0.2 } });
  expect(record.metrics.psnrDenoised).toBeCloseTo(Number(await page.getByTestId("full-psnr-denoised").textContent()), 1);

  await page.goto(href);
  for (const [name, pixels] of [["noisy", noisy], ["denoised", denoised]] as const) {
    await expect(page.getByTestId(`shared-${name}`)).toHaveJSProperty("complete", true);
    const png = await (await request.get(`/api/share/${id}/${name}.png`)).body();
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual(pixels.data);
  }
});

test("a backend that cannot run the model: the reason in the open, stale figures gone, one button back to Automatic", async ({ page }, testInfo) => {
  const { unavailable } = await open(page, testInfo);
  await expect(page.getByTestId("inference-ms")).not.toHaveText("–");
  await page.getByTestId("backend-select").selectOption(unavailable);
  const failure = page.getByTestId("backend-failure");
  await expect(failure).toBeVisible({ timeout: 120_000 });
  await expect(failure).toHaveAttribute("role", "alert");
  await expect(failure).toContainText(`${unavailable}:`);
  await expect(page.getByTestId("backend")).toHaveText("none");
  await expect(page.getByTestId("inference-ms")).toHaveText("–");
  await expect(page.getByTestId("full-result")).toHaveCount(0);
  await page.getByTestId("back-to-automatic").click();
  await expect(failure).toHaveCount(0);
  await expect(page.getByTestId("backend-select")).toHaveValue("auto");
  await expect(page).not.toHaveURL(/backends=/);
  // The automatic chain of this browser runs again (on the server project's browser, that is plain JS: slow).
  await expect(page.getByTestId("backend")).toHaveAttribute("data-phase", /loading|ready/);
  await expect(page.getByTestId("backend")).not.toHaveText("none");
});
