import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "./fixtures";
import sharp from "sharp";
import { canvasRgb, denoiseInNode, expectedDefaultBackend, FIXTURES, readPsnr, reportBackendOnFailure, setGaussian, timings, uploadFace, waitForResult, watchPage } from "./helpers";

/**
 * The denoising page itself, on the default chain of the webgl project's browser (WASM first here: its only GPU is
 * SwiftShader). The whole photo on each backend is in whole-photo.spec.ts.
 */

let seen: string[] = [];

test.beforeEach(async ({ page }) => {
  seen = watchPage(page);
  await page.goto("/denoise");
  await waitForResult(page);
});

// A failure says why the backend failed, if it did: the badge's phase and the attempts' reasons.
test.afterEach(async ({ page }, testInfo) => reportBackendOnFailure(page, testInfo, seen));

test("upload a face, gaussian 0.1: denoised beats noisy, and matches the same model in Node", async ({ page, baseURL }) => {
  await uploadFace(page);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  const { noisy, denoised } = await readPsnr(page);
  expect(denoised).toBeGreaterThan(noisy);
  expect(Number(await page.getByTestId("ssim-denoised").textContent())).toBeGreaterThan(Number(await page.getByTestId("ssim-noisy").textContent()));

  const noisyPixels = await canvasRgb(page, "noisy");
  const pagePixels = await canvasRgb(page, "denoised");
  expect([noisyPixels.width, noisyPixels.height]).toEqual([64, 64]);
  const node = await denoiseInNode(baseURL!, noisyPixels);
  expect(node.sha256).toBe((await timings(page)).modelSha256);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < node.bytes.length; i++) {
    const d = Math.abs(node.bytes[i] - pagePixels.data[i]);
    max = Math.max(max, d);
    sum += d;
  }
  console.log(`page vs Node: max |diff| ${max}/255, mean ${(sum / node.bytes.length).toFixed(3)}/255`);
  expect(max).toBeLessThanOrEqual(3);
  expect(sum / node.bytes.length).toBeLessThan(0.5);
});

test("share: the link shows exactly the noisy and denoised faces", async ({ page, request }) => {
  await uploadFace(page);
  await setGaussian(page, 0.2);
  await waitForResult(page);
  const [noisy, denoised] = [await canvasRgb(page, "noisy"), await canvasRgb(page, "denoised")];
  await page.getByTestId("share").click();
  const link = page.getByTestId("share-link");
  await expect(link).toBeVisible();
  const href = (await link.getAttribute("href"))!;
  const id = href.split("/").pop()!;
  const record = await (await request.get(`/api/share/${id}`)).json();
  expect(record).toMatchObject({ width: 64, height: 64, noise: { kind: "gaussian", level: 0.2 } });
  expect(record.metrics.psnrDenoised).toBeCloseTo(Number(await page.getByTestId("psnr-denoised").textContent()), 1);

  await page.goto(href);
  await expect(page.getByRole("heading", { name: "A shared denoised face" })).toBeVisible();
  for (const [name, pixels] of [["noisy", noisy], ["denoised", denoised]] as const) {
    await expect(page.getByTestId(`shared-${name}`)).toHaveJSProperty("complete", true);
    const png = await (await request.get(`/api/share/${id}/${name}.png`)).body();
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(data)).toEqual(pixels.data);
  }
  expect((await request.get("/share/AAAAAAAAAAAAAAAAAAAAAA")).status()).toBe(404);
});

test("noise controls: the noisy image follows the slider; none leaves the photo as it is; reseed changes it", async ({ page }) => {
  await setGaussian(page, 0.3);
  await waitForResult(page);
  const heavy = (await readPsnr(page)).noisy;
  await setGaussian(page, 0.05);
  await waitForResult(page);
  expect((await readPsnr(page)).noisy).toBeGreaterThan(heavy);
  const before = await canvasRgb(page, "noisy");
  await page.getByRole("button", { name: "New noise" }).click();
  await waitForResult(page);
  expect((await canvasRgb(page, "noisy")).data).not.toEqual(before.data);
  for (const kind of ["salt-pepper", "masking"]) {
    await page.getByTestId("noise-kind").selectOption(kind);
    await waitForResult(page);
    const { noisy, denoised } = await readPsnr(page);
    expect(denoised, kind).toBeGreaterThan(noisy);
  }
  await page.getByTestId("noise-kind").selectOption("none");
  await waitForResult(page);
  await expect(page.getByTestId("psnr-noisy")).toHaveText("∞");
  await expect(page.getByTestId("noise-level")).toBeDisabled();
});

test("bad files get a clear message and leave the page usable", async ({ page }) => {
  const huge = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: "#888888" } }).png().toBuffer();
  const cases: [string, Buffer, RegExp][] = [
    ["notes.png", Buffer.from("this is not an image\n"), /not an image we can read/],
    ["empty.jpg", Buffer.alloc(0), /is empty/],
    ["huge.png", huge, /30\.0 megapixels.*limit is 25 megapixels/],
  ];
  for (const [name, buffer, message] of cases) {
    await page.getByTestId("upload").setInputFiles({ name, mimeType: name.endsWith(".png") ? "image/png" : "image/jpeg", buffer });
    await expect(page.getByTestId("message")).toContainText(message);
    await expect(page.getByTestId("message")).toContainText(name);
  }
  // Still usable: a real face goes through, and the message goes away.
  await uploadFace(page);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  await expect(page.getByTestId("message")).not.toContainText("megapixels");
  const { noisy, denoised } = await readPsnr(page);
  expect(denoised).toBeGreaterThan(noisy);
});

test("phone photos: EXIF rotation is undone; transparency becomes white", async ({ page }) => {
  // d-rotated.jpg is face 3 of faces-small.u8 stored turned, with EXIF orientation 6.
  const faces = readFileSync("tests/fixtures/faces-small.u8");
  const face3 = faces.subarray(3 * 64 * 64 * 3, 4 * 64 * 64 * 3);
  await uploadFace(page, `${FIXTURES}/d-rotated.jpg`);
  await waitForResult(page);
  const upright = await canvasRgb(page, "original");
  let diff = 0;
  for (let i = 0; i < face3.length; i++) diff += Math.abs(face3[i] - upright.data[i]);
  expect(diff / face3.length).toBeLessThan(6);

  await uploadFace(page, `${FIXTURES}/b-transparent.png`);
  await waitForResult(page);
  const flat = await canvasRgb(page, "original");
  // The right half of b-transparent.png is fully transparent.
  const rightHalf = flat.data.filter((_, i) => Math.floor(i / 3) % 64 >= 40);
  expect(Math.min(...rightHalf)).toBeGreaterThanOrEqual(250);
});

test("the crop can be moved with the keyboard and resized with the slider", async ({ page }) => {
  await uploadFace(page, `${FIXTURES}/c-wide.jpg`);
  const box = page.getByTestId("crop-box");
  await expect(box).toHaveAttribute("aria-label", /64×64 pixels at 16, 0/);
  await box.focus();
  await page.keyboard.press("ArrowLeft");
  await expect(box).toHaveAttribute("aria-label", /at 15, 0/);
  await page.getByLabel("Crop size").fill("32");
  await expect(box).toHaveAttribute("aria-label", /32×32 pixels/);
  await waitForResult(page);
});

test("the backend can be switched by hand", async ({ page }) => {
  await page.getByTestId("backend-select").selectOption("wasm");
  await expect(page.getByTestId("backend")).toHaveText("wasm");
  await waitForResult(page);
  await expect(page).toHaveURL(/backends=wasm/);
  await page.getByTestId("backend-select").selectOption("server");
  await expect(page.getByTestId("backend")).toHaveText("server");
  await waitForResult(page);
  const { noisy, denoised } = await readPsnr(page);
  expect(denoised).toBeGreaterThan(noisy);
  await page.getByTestId("backend-select").selectOption("auto");
  // Automatic: this device's default chain, which starts on WASM where the only GPU is a software one (here).
  await expect(page.getByTestId("backend")).toHaveText(await expectedDefaultBackend(page));
});

test("screenshots: desktop and phone", async ({ page }, testInfo) => {
  await uploadFace(page);
  await setGaussian(page, 0.1);
  await waitForResult(page);
  await page.getByTestId("noise-level").blur();
  const desktop = path.join("test-results", "screenshots", "denoise-desktop.png");
  await page.screenshot({ path: desktop, fullPage: true });
  // UPDATE_README_SCREENSHOT=1 npx playwright test --project=webgl -g screenshots: the README's picture.
  if (process.env.UPDATE_README_SCREENSHOT) await page.screenshot({ path: "docs/denoise-page.png", clip: { x: 0, y: 0, width: 1280, height: 1290 } });
  await testInfo.attach("desktop", { path: desktop, contentType: "image/png" });
  await page.setViewportSize({ width: 390, height: 844 });
  // Nothing wider than the screen.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  const phone = path.join("test-results", "screenshots", "denoise-phone.png");
  await page.screenshot({ path: phone, fullPage: true });
  await testInfo.attach("phone", { path: phone, contentType: "image/png" });
});
