import { expect, test } from "./fixtures";
import { expectedDefaultBackend, waitForResult } from "./helpers";

/**
 * The default chain, without `?backends=`: on a device whose only GPU is a software one, WASM comes first. Run by the
 * projects whose browser has a (software) GPU: webgpu and webgl (playwright.config.ts).
 */

test("without ?backends=, a device whose only GPU is software starts on WASM", async ({ page }) => {
  await page.goto("/denoise");
  await expect(page.getByTestId("backend")).toHaveText(await expectedDefaultBackend(page), { timeout: 120_000 });
  await waitForResult(page);
  // WASM was the first rung tried: no GPU backend was started and passed over on the way.
  expect((await page.getByTestId("backend-attempts").allTextContents()).join(" ")).not.toMatch(/webgpu|webgl/i);
});
