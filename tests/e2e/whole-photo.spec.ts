import { expect, test } from "./fixtures";
import type { BackendProjectMetadata } from "../../playwright.config";
import { FIXTURES, reportBackendOnFailure, setGaussian, uploadFace, waitForResult, watchPage } from "./helpers";

/**
 * The whole photo, tiled, on each rung of the chain: every project runs this file with its own `?backends=` query
 * and browser flags (playwright.config.ts), and the result must have been computed on that project's backend. On the
 * server rung the page sends one POST per tile; on the client rungs it sends none.
 */

let seen: string[] = [];
test.beforeEach(({ page }) => {
  seen = watchPage(page);
});
// A failure says where the backend stood: the badge's phase and the attempts' reasons.
test.afterEach(async ({ page }, testInfo) => reportBackendOnFailure(page, testInfo, seen));

test("the whole photo, tiled, on this project's backend: own size, tile by tile, PSNR, download", async ({ page }, testInfo) => {
  const { backend, query } = testInfo.project.metadata as BackendProjectMetadata;
  // Plain JS without a JIT (the cpu project's --jitless) takes about 13 s per 64x64 run, and the photo is 6 tiles.
  test.slow(backend === "cpu", "the cpu rung runs without a JIT");
  const posts: number[] = [];
  page.on("request", (r) => {
    if (r.url().includes("/api/denoise") && r.method() === "POST") posts.push(r.postDataBuffer()?.length ?? 0);
  });
  await page.goto(`/denoise${query}${query ? "&" : "?"}tile=32`);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  await waitForResult(page);
  await uploadFace(page, `${FIXTURES}/c-wide.jpg`);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  const before = posts.length;
  await page.getByTestId("denoise-full").click();
  const result = page.getByTestId("full-result");
  await expect(result).toBeVisible({ timeout: backend === "cpu" ? 300_000 : 60_000 });
  await expect(result).toHaveAttribute("data-width", "96");
  await expect(result).toHaveAttribute("data-height", "64");
  // The result line names the backend that computed it: "96×64 on <backend> in 1.2 s ...".
  await expect(result.locator("p").first()).toContainText(`96×64 on ${backend} in `);
  const tiles = Number(await result.getAttribute("data-tiles"));
  expect(tiles).toBeGreaterThan(1);
  expect(posts.length - before).toBe(backend === "server" ? tiles : 0);
  const noisy = Number(await page.getByTestId("full-psnr-noisy").textContent());
  const denoised = Number(await page.getByTestId("full-psnr-denoised").textContent());
  expect(denoised).toBeGreaterThan(noisy);
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: /Download the whole denoised photo/ }).click();
  expect((await download).suggestedFilename()).toBe("c-wide-denoised-96x64.png");
  await expect(page.getByTestId("backend")).toHaveText(backend);
});
