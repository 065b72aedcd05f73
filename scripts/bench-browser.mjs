#!/usr/bin/env node
// Browser inference figures, per backend, in Debian's Chromium against a running production server:
//   1. the denoising page, cold (fresh browser, empty cache): navigation -> first denoised image, and the bytes the
//      visit downloads (JavaScript, WebAssembly, model files), as sent on the wire;
//   2. /bench?backend=X: the DAE at 64x64 and at 512x512 (tiled) and the VAE decoder at batch 1 and 400, first
//      run (shader compilation or kernel set-up included) and median warm run, timed in the inference worker;
//      wasm at one thread and at the pages' thread count (one per core), alternating, `--rounds` times each, so
//      both counts run under the same load (this machine's cores may be shared), then their speed-up;
//   3. the latent page (/latent): hover -> decoded digit painted, median of 12 hovers (the pointer event's time to
//      the digit on screen, timed in the page), and the decoder's own run time alongside.
// Usage: node scripts/bench-browser.mjs [http://127.0.0.1:3000] [--backends wasm,cpu] [--rounds 3]
//   (npm run bench starts a server itself; --backends runs only the named rows: default, webgpu, webgl, wasm, cpu,
//   server)
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";

const { values: options, positionals } = parseArgs({
  options: { backends: { type: "string" }, rounds: { type: "string", default: "2" } },
  allowPositionals: true,
});
const base = (positionals[0] ?? "http://127.0.0.1:3000").replace(/\/$/, "");
const ROUNDS = Number(options.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a positive integer, not ${options.rounds}`);
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
const only = options.backends?.split(",").map((b) => b.trim());
const unknown = only?.filter((b) => !CONFIGS.some((c) => c.backend === b)) ?? [];
if (unknown.length) throw new Error(`unknown --backends ${unknown.join(", ")}: choose from ${CONFIGS.map((c) => c.backend).join(", ")}`);
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
  // On wasm the badge says its threads ("x2").
  const threads = t.backend === "wasm" ? (await page.getByTestId("wasm-threads").textContent()).split(" ")[0] : "";
  await Promise.all(pending);
  await context.close();
  if (backend !== "default" && t.backend !== backend) throw new Error(`ended up on ${t.backend}`);
  return { firstDenoisedAt: t.firstDenoisedAt, bytes, landedOn: [t.backend, threads].join(" ").trim() };
}

/** /bench on one backend (`threads`: wasm's thread count, or "" for the pages' default): its cases and the pool it ran on. */
async function benchPage(browser, backend, threads = "") {
  const page = await browser.newPage();
  await page.goto(`${base}/bench?backend=${backend}${threads ? `&threads=${threads}` : ""}`);
  await page.waitForFunction(() => window.__bench?.done, null, { timeout: TIMEOUT });
  const result = await page.evaluate(() => window.__bench);
  await page.close();
  if (result.error) throw new Error(result.error);
  if (threads && result.threads !== Number(threads)) throw new Error(`asked for ${threads} wasm threads, got ${result.threads} (${result.singleThreadReason})`);
  return result;
}

/**
 * wasm at one thread and at the pages' default, `ROUNDS` times each, alternating (x1 first in odd rounds, last in
 * even ones), so that both see the same load. Returns each count's runs: [{ threads, cases }].
 */
async function wasmThreadRounds(browser) {
  const runs = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of round % 2 === 0 ? ["1", ""] : ["", "1"]) {
      const result = await benchPage(browser, "wasm", threads);
      if (!threads && result.threads === 1) throw new Error(`the pages' wasm runs on one thread here: ${result.singleThreadReason ?? "one core"}`);
      runs.push({ threads: result.threads, cases: result.cases });
      process.stderr.write(`wasm x${result.threads}: ${result.cases.map((c) => `${c.name} ${c.medianMs.toFixed(1)} ms`).join(", ")}\n`);
    }
  }
  return runs;
}

const HOVERS = 12;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** One case list from several runs of the bench page: each case's median over the runs (first and warm run alike). */
function medianCases(runs) {
  return runs[0].cases.map(({ name }) => {
    const of = runs.map((r) => r.cases.find((c) => c.name === name));
    return { name, firstMs: median(of.map((c) => c.firstMs)), medianMs: median(of.map((c) => c.medianMs)), perRun: of.map((c) => c.medianMs) };
  });
}

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
let wasmRuns = [];
const firstLine = (error) => String(error.message ?? error).split("\n")[0];
for (const config of CONFIGS.filter((c) => !only || only.includes(c.backend))) {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: [...BASE_ARGS, ...config.args] });
  try {
    try {
      visits.push({ backend: config.backend, ...(await coldVisit(browser, config)) });
      if (config.backend === "wasm") {
        wasmRuns = await wasmThreadRounds(browser);
        for (const threads of new Set(wasmRuns.map((r) => r.threads))) cases.set(`wasm x${threads}`, medianCases(wasmRuns.filter((r) => r.threads === threads)));
      } else if (config.backend !== "server" && config.backend !== "default") {
        cases.set(config.backend, (await benchPage(browser, config.backend)).cases);
      }
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
  else console.log(`| ${v.backend === "default" ? `default chain (landed on ${v.landedOn})` : v.landedOn} | ${Math.round(v.firstDenoisedAt)} | ${kB(v.bytes.js)} | ${kB(v.bytes.wasm)} | ${kB(v.bytes.model)} | ${kB(v.bytes.other)} |`);
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

if (wasmRuns.length) {
  const counts = [...new Set(wasmRuns.map((r) => r.threads))].sort((a, b) => a - b);
  const [one, many] = [cases.get(`wasm x${counts[0]}`), cases.get(`wasm x${counts.at(-1)}`)];
  console.log(`\n| wasm, median warm run (ms; each round's in brackets), ${ROUNDS} rounds | ${counts.map((n) => `x${n}`).join(" | ")} | speed-up |`);
  console.log(`| --- | ${counts.map(() => "---:").join(" | ")} | ---: |`);
  for (const [i, c] of one.entries()) {
    const cells = counts.map((n) => {
      const x = cases.get(`wasm x${n}`)[i];
      return `${x.medianMs.toFixed(1)} (${x.perRun.map((v) => v.toFixed(1)).join(", ")})`;
    });
    console.log(`| ${c.name} | ${cells.join(" | ")} | ${(c.medianMs / many[i].medianMs).toFixed(2)}x |`);
  }
}

console.log(`\n| latent page, backend | hover -> decoded digit (ms, median of ${HOVERS}) | decoder run alone (ms, median) |`);
console.log("| --- | ---: | ---: |");
for (const h of hovers) {
  if (h.error) console.log(`| ${h.backend} | failed: ${h.error} | |`);
  else console.log(`| ${h.backend} | ${h.hoverMs.toFixed(1)} | ${h.inferenceMs.toFixed(1)}${h.backend === "server" ? " (round trip)" : ""} |`);
}
