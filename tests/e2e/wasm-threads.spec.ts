import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { canvasRgb, FIXTURES, reportBackendOnFailure, uploadFace, waitForResult, watchPage } from "./helpers";

/**
 * tfjs' WebAssembly backend on threads (the wasm project: no WebGL, so the default chain lands on wasm): the page
 * is cross-origin isolated, the backend runs tfjs' threaded build on one thread per core (up to 8), its pthread
 * workers start (the bundled factory hung them), and the result is the same, pixel for pixel, as on one thread.
 * Without isolation, or where the threads cannot start, it says so and runs on one thread.
 */

let seen: string[] = [];
test.beforeEach(({ page }) => {
  seen = watchPage(page);
});
test.afterEach(async ({ page }, testInfo) => reportBackendOnFailure(page, testInfo, seen));

/** The threads the pages choose on this machine: one per core, up to tfjs' pool of 8 (lib/browser/wasm-threads.ts). */
async function expectedThreads(page: Page): Promise<number> {
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  expect(cores, "threads need a machine with two cores or more").toBeGreaterThan(1);
  return Math.min(cores, 8);
}

/** Opens the denoising page with `query`, waits for wasm, and returns the badge's thread text ("x2"). */
async function openOnWasm(page: Page, query: string): Promise<string> {
  await page.goto(`/denoise${query}`);
  await expect(page.getByTestId("backend")).toHaveText("wasm", { timeout: 120_000 });
  return (await page.getByTestId("wasm-threads").textContent()) ?? "";
}

test("the threaded build runs on one thread per core, its pthread workers started from the served factory", async ({ page }) => {
  const loaded: string[] = [];
  page.on("requestfinished", (request) => loaded.push(new URL(request.url()).pathname));
  const threads = await openOnWasm(page, "");
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // The count tfjs reports for the pool it really started (getThreadsCount), not the one asked for.
  expect(threads).toBe(`x${await expectedThreads(page)}`);
  await waitForResult(page);
  expect(loaded).toContain("/tfjs-wasm/tfjs-backend-wasm-threaded-simd.wasm");
  expect(loaded).not.toContain("/tfjs-wasm/tfjs-backend-wasm-simd.wasm");
  // Each pthread worker loads the factory's published file (lib/browser/wasm-threads.ts).
  expect(loaded.filter((path) => path === "/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js").length).toBeGreaterThanOrEqual(1);
  expect(seen.filter((line) => /uncaught|is not defined/.test(line))).toEqual([]);
});

test("threads give the same pixels as one thread: the 64x64 face and the whole photo", async ({ page }) => {
  const results: Record<string, { face: number[]; photo: string; threads: string }> = {};
  for (const [name, query] of [["threads", ""], ["one thread", "?threads=1"]] as const) {
    const threads = await openOnWasm(page, query);
    await waitForResult(page);
    await uploadFace(page, `${FIXTURES}/c-wide.jpg`);
    // No noise: the input is the photo itself, the same on both visits.
    await page.getByTestId("noise-kind").selectOption("none");
    // The page denoises the whole photo by itself: waitForResult waits for that too.
    await waitForResult(page);
    const face = (await canvasRgb(page, "denoised")).data;
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: /Download the whole denoised photo/ }).click();
    const photo = createHash("sha256").update(readFileSync(await (await download).path())).digest("hex");
    results[name] = { face, photo, threads };
  }
  expect(results["one thread"].threads).toBe("x1");
  expect(results.threads.threads).toBe(`x${await expectedThreads(page)}`);
  const differing = results.threads.face.filter((v, i) => v !== results["one thread"].face[i]).length;
  expect(differing, "values of the denoised face that differ between threads and one thread").toBe(0);
  expect(results.threads.photo, "sha256 of the downloaded whole photo").toBe(results["one thread"].photo);
});

test("without cross-origin isolation the page says so and runs on one thread", async ({ page }) => {
  // The page's document without COOP and COEP: neither it nor its workers get SharedArrayBuffer.
  await page.route(/\/denoise(\?|$)/, async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    delete headers["cross-origin-opener-policy"];
    delete headers["cross-origin-embedder-policy"];
    await route.fulfill({ response, headers });
  });
  const threads = await openOnWasm(page, "");
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  expect(threads).toBe("x1 (one thread: the page is not cross-origin isolated)");
  await waitForResult(page);
});

test("where the threads cannot start, wasm runs on one thread and says why", async ({ page }) => {
  // The script each pthread worker imports fails to load (as under a policy that blocks it): the thread's error
  // takes the inference worker down, and the client starts it again on one thread.
  await page.route("**/tfjs-wasm/tfjs-backend-wasm-threaded-simd.js", (route) => route.abort());
  const threads = await openOnWasm(page, "");
  expect(threads).toBe("x1 (one thread: its threads failed to start)");
  await waitForResult(page);
  await expect(page.getByTestId("backend")).toHaveText("wasm");
});
