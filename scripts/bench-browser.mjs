#!/usr/bin/env node
// Browser inference figures, per backend, in Debian's Chromium against a running production server:
//   1. the denoising page, cold (fresh browser, empty cache): navigation -> first denoised image, and the bytes the
//      visit downloads (JavaScript, WebAssembly, model files), as sent on the wire;
//   2. /bench?backend=X: the DAE at 64x64 and at 512x512 (tiled) and the VAE decoder at batch 1 and 400, first
//      run (shader compilation or kernel set-up included) and median warm run, timed in the inference worker;
//   3. the latent page (/latent): hover -> decoded digit painted, median of 12 hovers (the pointer event's time to
//      the digit on screen, timed in the page), and the decoder's own run time alongside.
// Usage: node scripts/bench-browser.mjs [http://127.0.0.1:3000]   (npm run bench starts a server itself)
import { chromium } from "@playwright/test";

const base = (process.argv[2] ?? "http://127.0.0.1:3000").replace(/\/$/, "");
const BASE_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];
// The same flags and lists as the e2e projects (playwright.config.ts): each reaches one backend. "default" is the
// page as a visitor gets it: no flags, no list, the chain for this device's class (lib/browser/device-class.ts).
const CONFIGS = [
  { backend: "default", args: [], query: "" },
  { backend: "webgpu", args: ["--enable-unsafe-webgpu"], query: "?backends=webgpu,webgl,wasm,cpu,server" },
  { backend: "webgl", args: [], query: "?backends=webgl,wasm,cpu,server" },
  { backend: "wasm", args: ["--use-gl=disabled"], query: "" },
  { backend: "cpu", args: [], query: "?backends=cpu" },
  { backend: "server", args: [], query: "?backends=server" },
];
const TIMEOUT = 600_000;
const kB = (bytes) => (bytes / 1024).toFixed(0);

function category(url) {
  if (url.includes("/api/models/")) return "model";
  if (url.endsWith(".wasm")) return "wasm";
  if (/\.m?js(\?|$)/.test(url)) return "js";
  return "other";
}

async function coldVisit(browser, { backend, query }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const bytes = { js: 0, wasm: 0, model: 0, other: 0 };
  const pending = [];
  // On the context, so that the inference worker's downloads count too.
  context.on("requestfinished", (request) => {
    pending.push(request.sizes().then((s) => (bytes[category(request.url())] += s.responseBodySize)).catch(() => {}));
  });
  await page.goto(`${base}/denoise${query}`);
  await page.waitForFunction(() => window.__denoise?.firstDenoisedAt, null, { timeout: TIMEOUT });
  const t = await page.evaluate(() => window.__denoise);
  await Promise.all(pending);
  await context.close();
  if (backend !== "default" && t.backend !== backend) throw new Error(`ended up on ${t.backend}`);
  return { firstDenoisedAt: t.firstDenoisedAt, bytes, landedOn: t.backend };
}

async function benchPage(browser, backend) {
  const page = await browser.newPage();
  await page.goto(`${base}/bench?backend=${backend}`);
  await page.waitForFunction(() => window.__bench?.done, null, { timeout: TIMEOUT });
  const result = await page.evaluate(() => window.__bench);
  await page.close();
  if (result.error) throw new Error(result.error);
  return result.cases;
}

const HOVERS = 12;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** The number of digits the latent page has decoded so far (its decoded-digit canvas counts them). */
const decodedCount = (page) => page.getByTestId("decoded").evaluate((canvas) => Number(canvas.dataset.decoded ?? "0"));

/**
 * The latent page on one backend: 12 hovers over the plane, each waited for until its digit is painted; the page
 * times each from the pointer event to the painted digit (window.__latent.hoverMs, whose first entry is the decode
 * of the first test digit on arrival) and the decoder run alone (inferenceMs).
 */
async function latentHover(browser, { backend, query }) {
  // Tall enough for the whole plane: the mouse only reaches what is in the viewport.
  const page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
  try {
    await page.goto(`${base}/latent${query}`);
    await page.waitForFunction(() => (window.__latent?.decoded ?? 0) > 0 && document.querySelector('[data-testid="latent-plane"]')?.getAttribute("data-points") === "10000", null, { timeout: TIMEOUT });
    const box = await page.getByTestId("latent-plane").boundingBox();
    for (let i = 0; i < HOVERS; i++) {
      const [fx, fy] = [0.15 + (0.7 * ((i * 7) % 12)) / 11, 0.15 + (0.7 * ((i * 5) % 12)) / 11];
      const before = await decodedCount(page);
      await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height);
      await page.waitForFunction((n) => Number(document.querySelector('[data-testid="decoded"]')?.getAttribute("data-decoded") ?? "0") > n, before, { timeout: TIMEOUT });
    }
    const timings = await page.evaluate(() => window.__latent);
    if (timings.backend !== backend) throw new Error(`ended up on ${timings.backend}`);
    return { hoverMs: median(timings.hoverMs.slice(1)), inferenceMs: median(timings.inferenceMs.slice(1)), hovers: timings.hoverMs.length - 1 };
  } finally {
    await page.close();
  }
}

const visits = [];
const cases = new Map();
const hovers = [];
const firstLine = (error) => String(error.message ?? error).split("\n")[0];
for (const config of CONFIGS) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: [...BASE_ARGS, ...config.args] });
  try {
    try {
      visits.push({ backend: config.backend, ...(await coldVisit(browser, config)) });
      if (!["server", "default"].includes(config.backend)) cases.set(config.backend, await benchPage(browser, config.backend));
    } catch (error) {
      visits.push({ backend: config.backend, error: firstLine(error) });
    }
    if (config.backend !== "default") {
      try {
        hovers.push({ backend: config.backend, ...(await latentHover(browser, config)) });
      } catch (error) {
        hovers.push({ backend: config.backend, error: firstLine(error) });
      }
    }
  } finally {
    await browser.close();
  }
  process.stderr.write(`${config.backend} done\n`);
}

console.log("| backend | navigation -> first denoised (ms) | JS (kB) | WebAssembly (kB) | models (kB) | other (kB) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const v of visits) {
  if (v.error) console.log(`| ${v.backend} | failed: ${v.error} | | | | |`);
  else console.log(`| ${v.backend === "default" ? `default chain (landed on ${v.landedOn})` : v.backend} | ${Math.round(v.firstDenoisedAt)} | ${kB(v.bytes.js)} | ${kB(v.bytes.wasm)} | ${kB(v.bytes.model)} | ${kB(v.bytes.other)} |`);
}

const backends = [...cases.keys()];
console.log(`\n| case (first run / median warm run, ms, in the worker) | ${backends.join(" | ")} |`);
console.log(`| --- | ${backends.map(() => "---:").join(" | ")} |`);
for (const name of cases.get(backends[0])?.map((c) => c.name) ?? []) {
  const cells = backends.map((b) => {
    const c = cases.get(b).find((x) => x.name === name);
    return c ? `${c.firstMs.toFixed(1)} / ${c.medianMs.toFixed(1)}` : "–";
  });
  console.log(`| ${name} | ${cells.join(" | ")} |`);
}

console.log(`\n| latent page, backend | hover -> decoded digit (ms, median of ${HOVERS}) | decoder run alone (ms, median) |`);
console.log("| --- | ---: | ---: |");
for (const h of hovers) {
  if (h.error) console.log(`| ${h.backend} | failed: ${h.error} | |`);
  else console.log(`| ${h.backend} | ${h.hoverMs.toFixed(1)} | ${h.inferenceMs.toFixed(1)}${h.backend === "server" ? " (round trip)" : ""} |`);
}
