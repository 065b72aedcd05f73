import type { ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./fixtures";
import sharp from "sharp";
import { largestSquareSide, SERVER_REQUEST_MAX_PIXELS } from "@/lib/limits";
import { startServer } from "../../scripts/local-server.mjs";

/**
 * Issue 15, finding 1 and the server's side of finding 5, against the production build on loopback (`npm start`'s
 * cluster, one process per core): two small requests for full-resolution denoising used to hold every process's
 * event loop for about 20 s, so that pages and /api/health stalled, the line's 10 s limit never fired, and a client
 * that hung up did not stop its work; a client that hung up mid-upload logged a stack, and a 500 quoted the
 * library's message. Now inference (and a JSON answer's scores) runs in worker threads
 * (lib/server/inference-pool.ts), and each request has a compute budget. Latencies are printed; the only timed
 * assertions are generous bounds the issue names, and the line's own 10 s, which a timer cannot undercut.
 */

const SIDE = largestSquareSide(SERVER_REQUEST_MAX_PIXELS);
const LATENCY_BOUND_MS = 250;
/** The line's wait limit (QUEUE_LIMITS in lib/server/models.ts), and a generous bound on how late its 503 may come. */
const MAX_WAIT_MS = 10_000;
const WAIT_SLACK_MS = 2_000;
/** `npm start`'s processes, and the inference threads in all of them (inferenceThreadCount in lib/server/inference-pool.ts). */
const CORES = os.availableParallelism();
const PROCESSES = Number(process.env.WEB_CONCURRENCY ?? CORES);
const THREADS = PROCESSES * Math.max(1, Math.floor(CORES / PROCESSES));

const base = () => test.info().project.use.baseURL!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const black = (side: number) => sharp({ create: { width: side, height: side, channels: 3, background: "#000" } }).png({ compressionLevel: 9 }).toBuffer();

function fullResolution(png: Buffer, signal?: AbortSignal, query = ""): Promise<Response> {
  return fetch(`${base()}/api/denoise?full=true${query}`, { method: "POST", headers: { "content-type": "image/png" }, body: new Uint8Array(png), signal });
}

interface Health {
  ready: boolean;
  queue: { running: number; waiting: number };
  process: { pid: number };
}

/** One GET, timed; a fresh connection each time, so the cluster spreads them over its processes. */
async function timedGet(path: string): Promise<{ ms: number; status: number; health?: Health }> {
  const t0 = performance.now();
  const response = await fetch(base() + path, { headers: { connection: "close" } });
  const health = path === "/api/health" ? ((await response.json()) as Health) : (await response.arrayBuffer(), undefined);
  return { ms: performance.now() - t0, status: response.status, health };
}

/** Asks /api/health until `done` holds for an answer (or `timeoutMs` passes), and returns that answer; a failed ask is asked again. */
async function healthUntil(done: (health: Health) => boolean, timeoutMs: number): Promise<Health | null> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const { health } = await timedGet("/api/health").catch(() => ({ health: undefined }));
    if (health && done(health)) return health;
    await sleep(20);
  }
  return null;
}

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  // Every process loads its models on its first health check and its first request: out of the figures. The cluster
  // hands new connections to its processes in turn, so a run of each reaches every process.
  const face = await black(64);
  const rounds = 2 * PROCESSES;
  for (let i = 0; i < rounds; i++) await timedGet("/api/health");
  for (let i = 0; i < rounds; i++) {
    await fetch(`${base()}/api/denoise`, { method: "POST", headers: { "content-type": "image/png", connection: "close" }, body: new Uint8Array(face) });
  }
});

test(`while two full-resolution requests run, / and /api/health answer in well under ${LATENCY_BOUND_MS} ms`, async () => {
  const png = await black(SIDE);
  const t0 = performance.now();
  // One answers a PNG, the other JSON with PSNR and SSIM: about a second of arithmetic at this size.
  const heavy = [fullResolution(png), fullResolution(png, undefined, "&noise=gaussian&level=0.1&format=json")].map((answer) =>
    answer.then(async (r) => ({ status: r.status, ms: performance.now() - t0, body: await r.arrayBuffer() })),
  );
  let finished = false;
  void Promise.allSettled(heavy).then(() => (finished = true));
  const samples: { path: string; ms: number; status: number; busy: boolean }[] = [];
  while (!finished) {
    for (const path of ["/api/health", "/"]) {
      const { ms, status, health } = await timedGet(path);
      if (!finished) samples.push({ path, ms, status, busy: (health?.queue.running ?? 0) > 0 });
    }
    await sleep(50);
  }
  const results = await Promise.all(heavy);
  const figures = (path: string, only = (s: (typeof samples)[number]) => s.path === path) => {
    const ms = samples.filter(only).map((s) => s.ms);
    return { count: ms.length, median: median(ms), max: Math.max(...ms) };
  };
  const health = figures("/api/health");
  const page = figures("/");
  const busyHealth = figures("/api/health", (s) => s.path === "/api/health" && s.busy);
  console.log(
    `two ${SIDE}x${SIDE} full-resolution requests: ${results.map((r) => `${r.status} in ${(r.ms / 1000).toFixed(1)} s`).join(", ")}; meanwhile ` +
      `/api/health ${health.count}x, median ${health.median?.toFixed(0)} ms, max ${health.max.toFixed(0)} ms ` +
      `(${busyHealth.count} answered by a process whose inference thread was busy, median ${busyHealth.median?.toFixed(0)} ms); ` +
      `/ ${page.count}x, median ${page.median?.toFixed(0)} ms, max ${page.max.toFixed(0)} ms`,
  );
  expect(results.map((r) => r.status)).toEqual([200, 200]);
  const scored = JSON.parse(new TextDecoder().decode(results[1].body));
  expect(scored.metrics.ssim.denoised).toEqual(expect.any(Number));
  expect(samples.every((s) => s.status === 200)).toBe(true);
  // Answered by a process while its own thread ran a full-resolution request: the event loop was free.
  expect(busyHealth.count).toBeGreaterThan(0);
  expect(busyHealth.median).toBeLessThan(LATENCY_BOUND_MS);
  expect(health.median).toBeLessThan(LATENCY_BOUND_MS);
  expect(page.median).toBeLessThan(LATENCY_BOUND_MS);
});

test("a full-resolution image over the compute budget gets 413 saying what fits, even when it is 4 kB on the wire", async () => {
  const png = await black(2000);
  expect(png.length).toBeLessThan(20_000);
  const t0 = performance.now();
  const response = await fullResolution(png);
  const ms = performance.now() - t0;
  console.log(`a ${png.length}-byte 2000x2000 PNG at full resolution: ${response.status} (${response.headers.get("content-type")}) in ${ms.toFixed(0)} ms`);
  expect(response.status).toBe(413);
  const body = await response.json();
  console.log(`  ${body.error}`);
  expect(body.error).toMatch(new RegExp(`at most ${SERVER_REQUEST_MAX_PIXELS.toLocaleString("en")} pixels .*${SIDE}×${SIDE}`));
});

test("a client that hangs up while its full-resolution request runs stops its work; the next request is served promptly", async () => {
  const png = await black(SIDE);
  let t0 = performance.now();
  const whole = await fullResolution(png);
  await whole.arrayBuffer();
  const wholeMs = performance.now() - t0;
  expect(whole.status).toBe(200);

  const client = new AbortController();
  const sentAt = performance.now();
  const gone = fullResolution(png, client.signal).catch(() => null);
  // The hang-up comes once a process reports the request running in its thread.
  const running = await healthUntil((h) => h.queue.running > 0, 20_000);
  expect(running, "no process reported the request running").not.toBeNull();
  client.abort();
  const hungUpMs = performance.now() - sentAt;
  await gone;
  // That process's thread is free again at the next tile, long before the whole image would have been done. (Timed
  // from the request's start: a process that could not answer while it ran reports it late, and idle at once.)
  const idle = await healthUntil((h) => h.process.pid === running!.process.pid && h.queue.running === 0, 20_000);
  const idleMs = performance.now() - sentAt;
  expect(idle, "the process did not become idle").not.toBeNull();

  const face = await black(64);
  t0 = performance.now();
  const next = await fetch(`${base()}/api/denoise`, { method: "POST", headers: { "content-type": "image/png" }, body: new Uint8Array(face) });
  const nextMs = performance.now() - t0;
  console.log(
    `one ${SIDE}x${SIDE} full-resolution request takes ${wholeMs.toFixed(0)} ms; another, hung up ${hungUpMs.toFixed(0)} ms after ` +
      `it was sent, left its process idle ${idleMs.toFixed(0)} ms after it was sent; the next request: ${next.status} in ${nextMs.toFixed(0)} ms`,
  );
  expect(next.status).toBe(200);
  expect(idleMs).toBeLessThan(wholeMs / 2);
});

test("the line's wait limit holds: a request that waits 10 s gets 503 with Retry-After on time, while the work ahead of it still runs", async () => {
  const png = await black(SIDE);
  let t0 = performance.now();
  await (await fullResolution(png)).arrayBuffer();
  const oneMs = performance.now() - t0;
  // Enough for every inference thread that the last few in each line wait past the limit (at most 64 wait).
  const perThread = Math.min(60, Math.ceil(MAX_WAIT_MS / oneMs) + 2);
  t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: perThread * THREADS }, async () => {
      const response = await fullResolution(png);
      const retryAfter = response.headers.get("retry-after");
      const body = response.status === 200 ? (await response.arrayBuffer(), null) : ((await response.json()) as { error: string });
      return { status: response.status, ms: performance.now() - t0, retryAfter, error: body?.error, type: response.headers.get("content-type") };
    }),
  );
  const refused = answers.filter((a) => a.status === 503);
  const served = answers.filter((a) => a.status === 200);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  console.log(
    `${answers.length} ${SIDE}x${SIDE} requests at once on ${THREADS} inference thread(s) (one alone: ${oneMs.toFixed(0)} ms): ` +
      `${served.length} served (the last at ${seconds(Math.max(...served.map((a) => a.ms)))} s), ${refused.length} refused with 503 ` +
      `at ${refused.map((a) => seconds(a.ms)).join(", ")} s, Retry-After ${[...new Set(refused.map((a) => a.retryAfter))].join(", ")} s`,
  );
  if (refused[0]) console.log(`  ${refused[0].error}`);
  expect(served.length + refused.length).toBe(answers.length);
  expect(refused.length).toBeGreaterThan(0);
  for (const answer of refused) {
    expect(answer.type).toMatch(/^application\/json/);
    expect(answer.error).toMatch(/busy: no turn within 10 s/);
    expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
    // A timer cannot fire early: each waited its 10 s in line. And it fired on time, give or take a generous 2 s for
    // the upload and decoding before the line: on the event loop, inference held it back (11.4-13.4 s before).
    expect(answer.ms).toBeGreaterThanOrEqual(MAX_WAIT_MS);
    expect(answer.ms).toBeLessThan(MAX_WAIT_MS + WAIT_SLACK_MS);
  }
  // The limit fired while requests ahead of it still ran in the threads (a blocked event loop would fire it late).
  expect(Math.max(...served.map((a) => a.ms))).toBeGreaterThan(Math.min(...refused.map((a) => a.ms)));
});

/**
 * The server's own failures, on a server of this test's: one process whose DAE cannot load (its model.json names a
 * layer tfjs does not know, with the manifest's sha256s updated to match), with its log read back.
 */
test.describe("failures: a 500 keeps its internals to the log, and a hang-up mid-upload is one line", () => {
  let dir: string;
  let server: ChildProcess;
  let serverBase: string;
  const log: string[] = [];

  /** A models folder with only the DAE, whose topology names a layer class that does not exist. */
  function brokenModels(): string {
    const folder = mkdtempSync(path.join(os.tmpdir(), "broken-models-"));
    const manifest = JSON.parse(readFileSync("models/manifest.json", "utf8"));
    const dae = manifest.models.dae;
    mkdirSync(path.join(folder, "dae"));
    for (const file of dae.files) {
      let bytes = readFileSync(path.join("models", file.path));
      if (file.path === dae.entry) bytes = Buffer.from(bytes.toString("utf8").replace('"class_name": "Conv2D"', '"class_name": "NoSuchLayer"').replace('"class_name":"Conv2D"', '"class_name":"NoSuchLayer"'));
      writeFileSync(path.join(folder, file.path), bytes);
      Object.assign(file, { sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length });
    }
    writeFileSync(path.join(folder, "manifest.json"), JSON.stringify({ ...manifest, models: { dae: { ...dae, artifacts: undefined } } }));
    expect(readFileSync(path.join(folder, dae.entry), "utf8")).toContain("NoSuchLayer");
    return folder;
  }

  /** The log's lines from line `start` on, once one of them contains `text` (or after `timeoutMs`). */
  async function logUntil(start: number, text: string, timeoutMs: number): Promise<string[]> {
    const deadline = performance.now() + timeoutMs;
    while (!log.slice(start).some((line) => line.includes(text)) && performance.now() < deadline) await sleep(50);
    return log.slice(start);
  }

  test.beforeAll(async () => {
    dir = brokenModels();
    ({ base: serverBase, child: server } = await startServer(process.execPath, ["scripts/serve.mjs"], {
      env: { WEB_CONCURRENCY: "1", MODELS_DIR: dir },
      anyHealth: true,
      stderr: "pipe",
    }));
    let partial = "";
    server.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (partial + chunk).split("\n");
      partial = lines.pop()!;
      log.push(...lines);
    });
  });

  test.afterAll(() => {
    server?.kill("SIGTERM");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("a model that fails in its thread: 500 JSON that names no library's message; the detail goes to the log", async () => {
    const start = log.length;
    const response = await fetch(`${serverBase}/api/denoise`, { method: "POST", headers: { "content-type": "image/png" }, body: new Uint8Array(await black(64)) });
    const body = await response.json();
    const logged = (await logUntil(start, "NoSuchLayer", 10_000)).find((line) => line.includes("NoSuchLayer"));
    console.log(`${response.status}: ${body.error}\n  the log: ${logged?.trim()}`);
    expect(response.status).toBe(500);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(body.error).toBe("Denoising failed: an unexpected error on the server (it has been logged).");
    expect(logged).toBeDefined();
  });

  test("a client that hangs up mid-upload: one line in the log, no stack", async () => {
    const declared = 200_000;
    const socket = net.connect(Number(new URL(serverBase).port), "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const start = log.length;
    socket.write(`POST /api/denoise HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\nContent-Length: ${declared}\r\n\r\n`);
    socket.write(Buffer.alloc(declared / 4));
    // Long enough for the route to be reading the body.
    await sleep(1000);
    socket.destroy();
    await logUntil(start, "while sending the body", 10_000);
    // Whatever else the hang-up logs comes soon after it.
    await sleep(1000);
    const logged = log.slice(start).filter((line) => line.trim());
    console.log(`the log after a hang-up ${declared / 4} of ${declared} bytes into the body:\n  ${logged.join("\n  ")}`);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/POST \/api\/denoise: The client closed the connection while sending the body \(\d+ bytes read\)/);
  });
});
