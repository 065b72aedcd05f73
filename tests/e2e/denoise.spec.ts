import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect, test } from "./fixtures";
import sharp from "sharp";
import { canvasRgb, expectedDefaultBackend, FIXTURES, readPsnr, reportBackendOnFailure, resultSize, setGaussian, uploadFace, waitForResult, watchPage } from "./helpers";

/**
 * The denoising page's details, on the default chain of the webgl project's browser (WASM first here: its only GPU
 * is SwiftShader): the noise controls, bad files, phone photos, the close look, the by-hand backend switch, the
 * "how it works" strip, screenshots. The flows on the default chain and on the server fallback are in
 * denoise-flow.spec.ts; the whole photo on each backend in whole-photo.spec.ts.
 */

let seen: string[] = [];

test.beforeEach(async ({ page }) => {
  seen = watchPage(page);
  await page.goto("/denoise");
  await waitForResult(page);
});

// A failure says why the backend failed, if it did: the badge's phase and the attempts' reasons.
test.afterEach(async ({ page }, testInfo) => reportBackendOnFailure(page, testInfo, seen));

test("noise controls: the noisy image follows the slider; reseed changes it; every kind is denoised", async ({ page }) => {
  await setGaussian(page, 0.3);
  await waitForResult(page);
  const heavy = (await readPsnr(page, "full-")).noisy;
  await setGaussian(page, 0.05);
  await waitForResult(page);
  expect((await readPsnr(page, "full-")).noisy).toBeGreaterThan(heavy);
  const before = await canvasRgb(page, "full-noisy");
  await page.getByRole("button", { name: "New noise" }).click();
  await waitForResult(page);
  expect((await canvasRgb(page, "full-noisy")).data).not.toEqual(before.data);
  for (const kind of ["salt-pepper", "masking"]) {
    await page.getByTestId("noise-kind").selectOption(kind);
    await waitForResult(page);
    const { noisy, denoised } = await readPsnr(page, "full-");
    expect(denoised, kind).toBeGreaterThan(noisy);
  }
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
  await waitForResult(page);
  await expect(page.getByTestId("message")).not.toContainText("megapixels");
  const { noisy, denoised } = await readPsnr(page, "full-");
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
  await page.getByTestId("noise-kind").selectOption("none");
  await waitForResult(page);
  const flat = await canvasRgb(page, "original");
  // The right half of b-transparent.png is fully transparent.
  const rightHalf = flat.data.filter((_, i) => Math.floor(i / 3) % 64 >= 40);
  expect(Math.min(...rightHalf)).toBeGreaterThanOrEqual(250);
});

test("the close look: 64x64 pixels of the whole photo at the model's scale, moved with the keyboard and the pointer", async ({ page }) => {
  await uploadFace(page, `${FIXTURES}/e-portrait.jpg`);
  await waitForResult(page);
  const { width, height } = await resultSize(page);
  const loupe = page.getByTestId("loupe");
  const x = Math.round(width / 2 - 32);
  const y = Math.round(height / 2 - 32);
  await expect(loupe).toHaveAttribute("aria-label", `Close look: 64×64 pixels at ${x}, ${y}`);
  // The close look is that square of the whole result, pixel for pixel.
  const whole = await canvasRgb(page, "full-denoised");
  const close = await canvasRgb(page, "denoised");
  expect([close.width, close.height]).toEqual([64, 64]);
  const at = (image: { data: number[]; width: number }, px: number, py: number) => image.data.slice((py * image.width + px) * 3, (py * image.width + px) * 3 + 3);
  for (const [px, py] of [[0, 0], [63, 0], [31, 40], [63, 63]]) expect(at(close, px, py)).toEqual(at(whole, x + px, y + py));
  await loupe.focus();
  await page.keyboard.press("ArrowLeft");
  await expect(loupe).toHaveAttribute("aria-label", `Close look: 64×64 pixels at ${x - 4}, ${y}`);
  // A press on the photo's top left corner moves the square there (clamped inside).
  const box = (await page.getByTestId("full-noisy").boundingBox())!;
  await page.mouse.click(box.x + 2, box.y + 2);
  await expect(loupe).toHaveAttribute("aria-label", "Close look: 64×64 pixels at 0, 0");
  await expect.poll(async () => (await canvasRgb(page, "denoised")).data).not.toEqual(close.data);
});

test("the backend can be switched by hand", async ({ page }) => {
  await page.getByTestId("backend-select").selectOption("wasm");
  await expect(page.getByTestId("backend")).toHaveText("wasm");
  await waitForResult(page);
  await expect(page).toHaveURL(/backends=wasm/);
  await page.getByTestId("backend-select").selectOption("server");
  await expect(page.getByTestId("backend")).toHaveText("server");
  await waitForResult(page);
  await expect(page.getByTestId("full-status")).toContainText("on server");
  const { noisy, denoised } = await readPsnr(page, "full-");
  expect(denoised).toBeGreaterThan(noisy);
  await page.getByTestId("backend-select").selectOption("auto");
  // Automatic: this device's default chain, which starts on WASM where the only GPU is a software one (here).
  await expect(page.getByTestId("backend")).toHaveText(await expectedDefaultBackend(page));
});

test("how it works: a face with each training corruption and the network's answer, all loaded", async ({ page }) => {
  const strip = page.getByTestId("how-it-works");
  const images = strip.getByRole("img");
  await expect(images).toHaveCount(7);
  for (const image of await images.all()) {
    await image.scrollIntoViewIfNeeded();
    await expect(image).toHaveJSProperty("complete", true);
    expect(await image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(64);
  }
  await expect(strip).toContainText("grain");
  await expect(strip).toContainText("specks");
  await expect(strip).toContainText("holes");
});

test("a backend whose answer differs from the DAE's reference is passed over with the reason, and the chain moves on", async ({ page }) => {
  // The manifest and the reference as the page downloads them, the reference's expected output shifted by 0.2:
  // no backend can give that answer, so every client backend is passed over, and the chain ends on the server.
  const manifestUrl = "**/api/models/manifest.json*";
  const reference = JSON.parse(readFileSync("models/dae/reference.json", "utf8"));
  const floats = Buffer.from(reference.output.float32, "base64");
  for (let i = 0; i < floats.length; i += 4) floats.writeFloatLE(floats.readFloatLE(i) + 0.2, i);
  const corrupted = Buffer.from(`${JSON.stringify({ ...reference, output: { ...reference.output, float32: floats.toString("base64") } })}\n`);
  await page.route(manifestUrl, async (route) => {
    const manifest = await (await route.fetch()).json();
    manifest.models.dae.artifacts.reference = { path: "dae/reference.json", sha256: createHash("sha256").update(corrupted).digest("hex"), bytes: corrupted.length };
    await route.fulfill({ json: manifest });
  });
  await page.route("**/api/models/dae/reference.json*", (route) => route.fulfill({ body: corrupted, contentType: "application/json" }));
  await page.goto("/denoise");
  await expect(page.getByTestId("backend")).toHaveText("server", { timeout: 120_000 });
  const attempts = page.getByTestId("backend-attempts");
  await expect(attempts).toContainText(/wasm: dae on wasm: its answer to the reference input differs from the expected one \(largest difference 0\.2/);
  await expect(attempts).toContainText(/cpu: dae on cpu: its answer to the reference input differs/);
  await waitForResult(page);
  await expect(page.getByTestId("full-status")).toContainText("on server");
});

test("screenshots: desktop and phone", async ({ page }, testInfo) => {
  await uploadFace(page, `${FIXTURES}/e-portrait.jpg`);
  await waitForResult(page);
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
