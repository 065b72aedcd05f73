import { mkdirSync } from "node:fs";
import { expect, test } from "./fixtures";
import { EMBEDDING_IDS, RUNS } from "@/lib/catalogue";
import { fitBulk } from "@/lib/latent";
import { drawSeven, expectDecodedAt, hoverAt, LATENT_VIEWPORT, latentUnder, openLatentPage, project, shippedCodes } from "./latent-helpers";

/**
 * The MNIST latent page (/latent) in full, run by the webgl and wasm projects (playwright.config.ts); every project
 * checks that it decodes on its own backend (latent-backends.spec.ts). Its hover-to-decode latency is a benchmark,
 * not a test: `npm run bench:browser` (scripts/bench-browser.mjs).
 */

test.use({ viewport: LATENT_VIEWPORT });

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

  test("each plane opens fitted to the bulk of each digit's codes, with none of them cut off", async ({ page }, testInfo) => {
    const { backend, query } = project(testInfo);
    await openLatentPage(page, backend, query);
    for (const id of EMBEDDING_IDS) {
      const plane = page.getByTestId(id === RUNS.vae.name ? "latent-plane" : `plane-${id}`);
      const { width } = (await plane.boundingBox())!;
      const { codes, labels } = shippedCodes(id);
      const fit = fitBulk(codes, { labels });
      const [cx, cy, scale] = (await plane.getAttribute("data-view"))!.split(",").map(Number);
      expect(Math.abs(cx - fit.cx), id).toBeLessThan(1e-3);
      expect(Math.abs(cy - fit.cy), id).toBeLessThan(1e-3);
      // The canvas's CSS width, less its 1 px border each side, spans the fitted side (to a pixel: the size is rounded).
      expect(Math.abs(scale * fit.span - (width - 2)), id).toBeLessThan(1.5);
    }
    // Each digit's bulk is in view: under 2% of the codes lie past the edge, and no caption says otherwise.
    for (const id of EMBEDDING_IDS) {
      const { codes, labels } = shippedCodes(id);
      expect(fitBulk(codes, { labels }).outside / labels.length, id).toBeLessThan(0.02);
      await expect(page.getByTestId(`${id === RUNS.vae.name ? "latent-plane" : `plane-${id}`}-outside`)).toHaveCount(0);
    }
    // Reset view returns to the fit after a zoom.
    const plane = page.getByTestId(`plane-${RUNS.ae2d.name}`);
    const fitted = (await plane.getAttribute("data-view"))!;
    await plane.focus();
    await page.keyboard.press("-");
    await expect(plane).not.toHaveAttribute("data-view", fitted);
    await page.keyboard.press("0");
    await expect(plane).toHaveAttribute("data-view", fitted);
  });

  test("a pointer that rests on the plane before the page is ready gets its point decoded, not the first digit", async ({ page }, testInfo) => {
    const { backend, query } = project(testInfo);
    await page.goto(`/latent${query}`);
    const plane = page.getByTestId("latent-plane");
    const box = (await plane.boundingBox())!;
    const [x, y] = [box.x + 0.3 * box.width, box.y + 0.7 * box.height];
    await page.mouse.move(x, y);
    await expect(page.getByTestId("backend")).toHaveText(backend, { timeout: 120_000 });
    await expect(plane).toHaveAttribute("data-points", "10000");
    await expectDecodedAt(page, await latentUnder(plane, x, y), "the pointer that was there first");
    await expect(page.getByTestId("decoded-note")).toHaveCount(0);
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
    await expect(page.getByTestId("drawn-loss")).toHaveAttribute("data-kl", /\d/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await hoverAt(page, 0.62, 0.35);
    // Let the manifold and the marks reach the screen (the screenshot for the README: docs/latent-page.png).
    await page.waitForTimeout(1000);
    mkdirSync("test-results/screenshots", { recursive: true });
    await page.screenshot({ path: `test-results/screenshots/latent-${backend}.png`, fullPage: true });
  });
});
