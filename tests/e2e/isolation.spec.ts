import { expect, test } from "./fixtures";
import type { BackendProjectMetadata } from "../../playwright.config";
import { reportBackendOnFailure, watchPage } from "./helpers";

/**
 * Every project's page is cross-origin isolated (COOP same-origin, COEP require-corp: lib/security-headers.ts), so that
 * WebAssembly threads can run, and everything it loads still loads: each response the page and its workers get,
 * scripts, models, tfjs' files and the worker scripts included, carries the headers, and the inference worker is
 * isolated too. The rest of each project's specs run under the same headers.
 */

let seen: string[] = [];
test.beforeEach(({ page }) => {
  seen = watchPage(page);
});
test.afterEach(async ({ page }, testInfo) => reportBackendOnFailure(page, testInfo, seen));

test("the page and its inference worker are cross-origin isolated, and every response says so", async ({ page }, testInfo) => {
  const { backend, query } = testInfo.project.metadata as BackendProjectMetadata;
  const missing: string[] = [];
  page.on("response", (response) => {
    // (blob: URLs, the pthread workers' scripts, inherit the page's policy and have no headers.)
    if (!response.url().startsWith("http")) return;
    const headers = response.headers();
    if (headers["cross-origin-embedder-policy"] !== "require-corp" || headers["cross-origin-opener-policy"] !== "same-origin") {
      missing.push(`${response.status()} ${response.url()}`);
    }
  });
  await page.goto(`/denoise${query}`);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
  if (backend !== "server") {
    // (On the server rung the worker has been stopped: no client backend could run.)
    const inference = page.workers().find((worker) => worker.url().includes("/_next/static/"));
    expect(inference, "the inference worker").toBeDefined();
    expect(await inference!.evaluate(() => self.crossOriginIsolated)).toBe(true);
  }
  // Threads show on wasm only ("wasm x2").
  await expect(page.getByTestId("wasm-threads")).toHaveCount(backend === "wasm" ? 1 : 0);
  expect(missing).toEqual([]);
});
