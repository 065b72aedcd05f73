#!/usr/bin/env node
// Load and fault figures for the server routes, on loopback, against the production build (`npm run build`
// first). Prints markdown tables:
//   1. requests/s and p50/p99 latency of POST /api/denoise (a 64x64 face) and POST /api/vae/decode (one point) at
//      1, 8 and 64 concurrent connections;
//   2. full-resolution denoising at the compute budget's largest square (SERVER_REQUEST_MAX_PIXELS): its time and
//      time per megapixel, and GET /api/health's latency idle and while two such requests run (inference runs in
//      worker threads, so the event loop answers meanwhile);
//   3. each server process's resident memory and live tfjs tensors before and after 10,000 requests (half each);
//   4. a burst of 200 malformed requests mixed with 200 good ones: every good one must be answered correctly,
//      every bad one refused with its 4xx, and no process may die.
// Usage: node scripts/bench-server.mjs [--url http://host:port] [--seconds 10] [--requests 10000]
// Without --url it starts `node scripts/serve.mjs` (WEB_CONCURRENCY processes, default: every core) itself.
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import sharp from "sharp";
import { tsImport } from "tsx/esm/api";
import { startServer } from "./local-server.mjs";

const root = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { url: { type: "string" }, seconds: { type: "string" }, requests: { type: "string" } } });
const seconds = Number(values.seconds ?? 10);
const leakRequests = Number(values.requests ?? 10_000);

/** The largest full-resolution square one request may send, from the limits the server uses. */
const limits = await tsImport("../lib/limits.ts", import.meta.url);
const FULL_SIDE = limits.largestSquareSide(limits.SERVER_REQUEST_MAX_PIXELS);
const face = readFileSync(path.join(root, "tests/fixtures/images/a-face.png"));
const face64 = await sharp(face).resize(64, 64).png().toBuffer();
const DENOISE = { method: "POST", path: "/api/denoise?noise=gaussian&level=0.1", headers: { "content-type": "image/png" }, body: face64 };
const DECODE = { method: "POST", path: "/api/vae/decode", headers: { "content-type": "application/json" }, body: JSON.stringify({ z: [[0.5, -1]] }) };

/** Health from every server process: asks until each pid has answered (a cluster spreads connections). */
async function processFigures(base, expected) {
  const seen = new Map();
  for (let i = 0; i < 200 && seen.size < expected; i++) {
    const agent = await fetch(`${base}/api/health`, { headers: { connection: "close" } });
    const body = await agent.json();
    if (!body.ready) throw new Error(`not ready: ${body.error}`);
    seen.set(body.process.pid, body.process);
  }
  return seen;
}

/** "0", or the count with its status codes, e.g. "13 (503: 13)". */
function non2xx(result) {
  const codes = Object.entries(result.statusCodeStats ?? {}).filter(([code]) => !code.startsWith("2"));
  return result.non2xx === 0 ? "0" : `${result.non2xx} (${codes.map(([code, { count }]) => `${code}: ${count}`).join(", ")})`;
}

function run(options) {
  return new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));
}

const { base, child } = values.url ? { base: values.url.replace(/\/$/, ""), child: null } : await startServer(process.execPath, ["scripts/serve.mjs"]);
const processes = values.url ? 1 : Number(process.env.WEB_CONCURRENCY ?? os.availableParallelism());
try {
  // Warm every process: models loaded, kernels compiled.
  for (let i = 0; i < 4 * processes; i++) {
    await fetch(base + DENOISE.path, { method: "POST", headers: DENOISE.headers, body: face64 });
    await fetch(base + DECODE.path, { method: "POST", headers: DECODE.headers, body: DECODE.body });
  }
  console.log(`server: ${base}, ${processes} process(es); client: autocannon on the same ${os.availableParallelism()}-core machine (${os.cpus()[0].model})\n`);

  console.log("| route | connections | requests/s | p50 (ms) | p99 (ms) | non-2xx | errors |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const [name, request] of [["POST /api/denoise (64x64)", DENOISE], ["POST /api/vae/decode (1 point)", DECODE]]) {
    for (const connections of [1, 8, 64]) {
      const r = await run({ url: base, connections, duration: seconds, requests: [request] });
      console.log(`| ${name} | ${connections} | ${r.requests.average.toFixed(1)} | ${r.latency.p50} | ${r.latency.p99} | ${non2xx(r)} | ${r.errors + r.timeouts} |`);
    }
  }

  await fullResolutionFigures(base);

  const before = await processFigures(base, processes);
  const leak = await run({ url: base, connections: 8, amount: leakRequests, requests: [DENOISE, DECODE] });
  const after = await processFigures(base, processes);
  console.log(`\n${leak.requests.total} requests (denoise and decode alternating, 8 connections): ${non2xx(leak)} non-2xx, ${leak.errors} errors`);
  console.log("| process | RSS before (MB) | RSS after (MB) | tensors before | tensors after |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [pid, b] of before) {
    const a = after.get(pid);
    console.log(`| ${pid} | ${(b.rssBytes / 2 ** 20).toFixed(0)} | ${a ? (a.rssBytes / 2 ** 20).toFixed(0) : "gone"} | ${b.tensors} | ${a?.tensors ?? "gone"} |`);
  }

  await faultBurst(base, before);
} finally {
  child?.kill("SIGTERM");
}

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** GET /api/health on fresh connections (spread over the processes) every 50 ms until `stop()` is true: latencies in ms. */
async function healthLatencies(base, stop) {
  const latencies = [];
  while (!stop()) {
    const t0 = performance.now();
    const response = await fetch(`${base}/api/health`, { headers: { connection: "close" } });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`/api/health answered ${response.status}`);
    latencies.push(performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return latencies;
}

async function fullResolutionFigures(base) {
  const png = await sharp({ create: { width: FULL_SIDE, height: FULL_SIDE, channels: 3, background: "#000" } }).png().toBuffer();
  const megapixels = (FULL_SIDE * FULL_SIDE) / 1e6;
  const full = async () => {
    const t0 = performance.now();
    const response = await fetch(`${base}/api/denoise?full=true`, { method: "POST", headers: { "content-type": "image/png", connection: "close" }, body: png });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`a ${FULL_SIDE}x${FULL_SIDE} full-resolution request answered ${response.status}`);
    return performance.now() - t0;
  };
  const alone = [];
  for (let i = 0; i < 3; i++) alone.push(await full());
  const ms = percentile(alone, 50);
  console.log(`\nfull resolution, ${FULL_SIDE}x${FULL_SIDE} (${megapixels.toFixed(2)} MP, the most one request may send): median of 3 alone ${ms.toFixed(0)} ms, ${(ms / megapixels).toFixed(0)} ms per megapixel`);

  const idleUntil = performance.now() + 3000;
  const idle = await healthLatencies(base, () => performance.now() > idleUntil);
  let running = true;
  const heavy = Promise.all([full(), full()]).finally(() => (running = false));
  const busy = await healthLatencies(base, () => !running);
  const heavyMs = await heavy;
  console.log("| GET /api/health | samples | p50 (ms) | p99 (ms) | max (ms) |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [name, latencies] of [["idle", idle], [`while two ${FULL_SIDE}x${FULL_SIDE} full-resolution requests run (${heavyMs.map((m) => (m / 1000).toFixed(1)).join(" s, ")} s)`, busy]]) {
    console.log(`| ${name} | ${latencies.length} | ${percentile(latencies, 50).toFixed(0)} | ${percentile(latencies, 99).toFixed(0)} | ${Math.max(...latencies).toFixed(0)} |`);
  }
}

async function faultBurst(base, pidsBefore) {
  const bomb = await sharp({ create: { width: 10_000, height: 10_000, channels: 3, background: "#000" } }).png({ compressionLevel: 9 }).toBuffer();
  const post = (route, type, body) => ({ route, init: { method: "POST", headers: type ? { "content-type": type } : {}, body } });
  const bad = [
    [post("/api/denoise", "image/png", new Uint8Array(0)), 400],
    [post("/api/denoise", "image/png", "this is not an image"), 415],
    [post("/api/denoise", "image/png", face.subarray(0, 120)), 422],
    [post("/api/denoise", "text/plain", face64), 415],
    [post("/api/denoise?level=abc&noise=gaussian", "image/png", face64), 400],
    [post("/api/denoise?noise=bogus", "image/png", face64), 400],
    [post("/api/denoise?crop=1,2", "image/png", face64), 400],
    [post("/api/denoise", "image/png", new Uint8Array(5 * 1024 * 1024)), 413],
    [post("/api/denoise", "image/png", bomb), 413],
    [post("/api/vae/decode", "application/json", "{not json"), 400],
    [post("/api/vae/decode", "application/json", '{"z": [[1e999, 0]]}'), 400],
    [post("/api/vae/decode", "application/json", '{"z": []}'), 400],
    [post("/api/vae/decode", "application/json", JSON.stringify({ z: Array.from({ length: 401 }, () => [0, 0]) })), 413],
    [post("/api/vae/decode", "text/plain", DECODE.body), 415],
    [post("/api/vae/encode", "application/json", JSON.stringify({ pixels: new Array(783).fill(0) })), 400],
  ];
  const good = [
    [post(DENOISE.path, "image/png", face64), async (r) => r.headers.get("content-type") === "image/png" && (await sharp(Buffer.from(await r.arrayBuffer())).metadata()).width === 64],
    [post(DECODE.path, "application/json", DECODE.body), async (r) => (await r.json()).pixels?.[0]?.length === 784],
  ];
  const jobs = [];
  for (let i = 0; i < 200; i++) jobs.push({ kind: "bad", request: bad[i % bad.length][0], expect: bad[i % bad.length][1] });
  for (let i = 0; i < 200; i++) jobs.push({ kind: "good", request: good[i % good.length][0], check: good[i % good.length][1] });
  jobs.sort(() => Math.random() - 0.5);
  const failures = [];
  const tally = { good: 0, bad: 0 };
  let next = 0;
  // 32 in flight: a burst, but inside the server's queue limit, so that every good request gets its turn.
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const response = await fetch(base + job.request.route, job.request.init).catch((e) => e);
        if (response instanceof Error) failures.push(`${job.kind} ${job.request.route}: ${response.message}`);
        else if (job.kind === "bad") {
          const body = await response.json().catch(() => null);
          if (response.status === job.expect && typeof body?.error === "string") tally.bad++;
          else failures.push(`bad ${job.request.route}: ${response.status} (expected ${job.expect}) ${JSON.stringify(body)?.slice(0, 100)}`);
        } else if (response.status === 200 && (await job.check(response))) tally.good++;
        else failures.push(`good ${job.request.route}: ${response.status}`);
      }
    }),
  );
  const pidsAfter = await processFigures(base, pidsBefore.size);
  const survived = [...pidsBefore.keys()].every((pid) => pidsAfter.has(pid));
  console.log(`\nfault burst: ${tally.good}/200 good requests answered correctly, ${tally.bad}/200 malformed ones refused with the expected status and a JSON error; every server process ${survived ? "still up" : "NOT all up (one restarted)"}`);
  for (const f of failures.slice(0, 10)) console.log(`  ${f}`);
  if (failures.length > 0 || !survived) process.exitCode = 1;
}
