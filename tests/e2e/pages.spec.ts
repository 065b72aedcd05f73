import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import { BACKEND_NAMES } from "./helpers";

/**
 * Each page loads clean: no console error, no failed or refused request (a missing icon shows up here as a
 * console 404), and the site's icon is served.
 */

for (const path of ["/", "/denoise", "/latent"]) {
  test(`${path} loads with no console error and no failed request`, async ({ page }) => {
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    page.on("requestfailed", (request) => {
      // Next's router cancels a prefetch of a page rendered per request (as the CSP nonce makes them all: proxy.ts)
      // once it has what it needs; the page itself is fetched, or prefetched again, when it is wanted.
      const cancelledPrefetch = request.headers()["next-router-prefetch"] === "1" && request.failure()?.errorText === "net::ERR_ABORTED";
      if (!cancelledPrefetch) problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
    });

    await page.goto(path);
    if (path === "/") await expect(page.getByRole("link", { name: /Denoise a face/ })).toBeVisible();
    // The model pages are done loading once a backend runs their models.
    else await expect(page.getByTestId("backend")).toHaveText(BACKEND_NAMES);
    await page.waitForLoadState("networkidle");

    const icon = await page.locator('link[rel="icon"]').getAttribute("href");
    expect(icon).toBeTruthy();
    const response = await page.request.get(icon!);
    expect(response.status()).toBe(200);
    expect(response.headers()["content-type"]).toMatch(/^image\//);
    expect(problems).toEqual([]);
  });
}

test("the home page quotes the shipped models' measured figures from models/evaluation.json", async ({ page }) => {
  const evaluation = JSON.parse(readFileSync("models/evaluation.json", "utf8"));
  const gaussian = evaluation.faces.settings.find((s: { id: string }) => s.id === "gaussian-0.1");
  await page.goto("/");
  await expect(page.getByText(`${gaussian.dae.psnr.toFixed(2)} dB PSNR on ${evaluation.faces.count.toLocaleString("en")} unseen faces`)).toBeVisible();
  await expect(page.getByText(`VAE ${Math.round(evaluation.mnist.knn5.vae * 100)}%`)).toBeVisible();
});

test("the home page shows each demo: a face denoised by the shipped model and the latent plane, each linking into it", async ({ page }) => {
  await page.goto("/");
  const denoise = page.getByRole("link", { name: /Denoise a face/ });
  const latent = page.getByRole("link", { name: /Explore the MNIST latent plane/ });
  await expect(denoise).toHaveAttribute("href", "/denoise");
  await expect(latent).toHaveAttribute("href", "/latent");
  const pictures = [...(await denoise.getByRole("img").all()), ...(await latent.getByRole("img").all())];
  expect(pictures).toHaveLength(3);
  for (const picture of pictures) {
    await expect(picture).toHaveJSProperty("complete", true);
    expect(await picture.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
  }
  await expect(denoise.getByRole("img", { name: /denoised by the shipped model/ })).toBeVisible();
  await latent.click();
  await expect(page).toHaveURL(/\/latent$/);
});
