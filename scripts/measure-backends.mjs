#!/usr/bin/env node
// Measures the denoising page on each backend in Debian's Chromium: time from navigation to the first denoised
// image (cold cache: model download, backend start, warm-up and the first inference included) and the time of one
// 64x64 inference (median of 6 after the first). Needs a running production server:
//   npm run build && npx next start -H 127.0.0.1 -p 3000 &
//   node scripts/measure-backends.mjs http://127.0.0.1:3000
import { chromium } from "@playwright/test";

const base = (process.argv[2] ?? "http://127.0.0.1:3000").replace(/\/$/, "");
const BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
const CONFIGS = [
  { backend: "webgpu", args: ["--enable-unsafe-webgpu"], query: "" },
  { backend: "webgl", args: [], query: "" },
  { backend: "wasm", args: ["--use-gl=disabled"], query: "" },
  { backend: "cpu", args: [], query: "?backends=cpu" },
  { backend: "server", args: [], query: "?backends=server" },
];
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

console.log(`| backend | page load → first denoised (ms) | one 64×64 inference, median (ms) | all inferences (ms) |`);
console.log(`| --- | ---: | ---: | --- |`);
for (const { backend, args, query } of CONFIGS) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: [...BASE_ARGS, ...args] });
  try {
    const page = await browser.newPage();
    await page.goto(`${base}/denoise${query}`);
    await page.waitForFunction(() => window.__denoise?.firstDenoisedAt, null, { timeout: 300_000 });
    for (let i = 0; i < 6; i++) {
      const before = await page.evaluate(() => window.__denoise.inferenceMs.length);
      await page.getByRole("button", { name: "New noise" }).click();
      await page.waitForFunction((n) => window.__denoise.inferenceMs.length > n, before, { timeout: 300_000 });
    }
    const t = await page.evaluate(() => window.__denoise);
    if (t.backend !== backend) throw new Error(`ended up on ${t.backend}`);
    const ms = t.inferenceMs.map((v) => Math.round(v * 10) / 10);
    console.log(`| ${backend} | ${Math.round(t.firstDenoisedAt)} | ${median(ms.slice(1))} | ${ms.join(", ")} |`);
  } catch (error) {
    console.log(`| ${backend} | – | – | ${String(error.message ?? error).split("\n")[0]} |`);
  } finally {
    await browser.close();
  }
}
