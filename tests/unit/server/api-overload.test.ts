import { rmSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { POST as denoise } from "@/app/api/denoise/route";
import { gate, serverPool, serverQueue } from "../../helpers/server-state";
import { exportThrowawayModels, SMALL_DAE } from "../../helpers/throwaway-models";
import { daeTileOptions } from "@/lib/catalogue";
import { largestSquareSide, SERVER_REQUEST_MAX_PIXELS } from "@/lib/limits";
import { planTiles } from "@/lib/tiling";

/**
 * POST /api/denoise when the server's inference line is busy (issue #13, item 7; issue 15, finding 1), on a
 * throwaway models folder: a request beyond the line's 64 waiting places gets 503 with Retry-After and never runs;
 * a request whose client hangs up while it waits (or before it gets in line) leaves the line and never runs; one
 * whose client hangs up while it runs stops at the next tile. The line is the routes' own (serverQueue), held busy
 * by tasks of the test's, one per inference thread; the threads' count of answered model runs (serverPool) tells
 * what ran. (A file of its own: the line and the threads are the process's.)
 */

const WAITING_PLACES = 64;
let dir: string;
let tiny: Buffer;

const modelRuns = () => serverPool().completed;
const post = (signal?: AbortSignal, image = tiny) =>
  denoise(new Request("http://localhost/api/denoise?full=true&noise=none", { method: "POST", body: new Uint8Array(image), headers: { "content-type": "image/png" }, signal }));

/** Holds every running place of the line (one per inference thread) until `open`. */
function holdTheLine() {
  const queue = serverQueue();
  const { open, opened } = gate();
  const holders = Array.from({ length: queue.limits.concurrency ?? 1 }, () => queue.run(() => opened));
  return { open, done: () => Promise.all(holders), running: holders.length };
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = (await exportThrowawayModels("overload-")).dir;
  process.env.MODELS_DIR = dir;
  tiny = await sharp(Buffer.from(Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 41) % 256)), { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toBuffer();
  // Loads the model, so that every later run is one model run in a thread.
  expect((await post()).status).toBe(200);
});

afterAll(() => {
  serverPool().close();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

describe("POST /api/denoise and a busy server", () => {
  it("runs as many requests at once as there are inference threads", () => {
    expect(serverQueue().limits.concurrency).toBe(serverPool().size);
    expect(serverPool().size).toBeGreaterThanOrEqual(1);
  });

  it("answers 503 with Retry-After beyond the line's waiting places, without running it; the requests in line are served", async () => {
    const queue = serverQueue();
    expect(queue.limits.maxWaiting).toBe(WAITING_PLACES);
    const held = holdTheLine();
    const inLine = Array.from({ length: WAITING_PLACES }, () => post());
    await vi.waitFor(() => expect(queue.load).toEqual({ waiting: WAITING_PLACES, running: held.running }), { timeout: 10_000 });
    const runs = modelRuns();

    const refused = await post();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).error).toMatch(/busy \(64 requests waiting\)/);
    expect(queue.load).toEqual({ waiting: WAITING_PLACES, running: held.running });

    held.open();
    await held.done();
    const answers = await Promise.all(inLine);
    expect(answers.map((r) => r.status)).toEqual(Array(WAITING_PLACES).fill(200));
    expect(modelRuns()).toBe(runs + WAITING_PLACES);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });

  it("takes a request out of the line when its client hangs up while it waits, with an error and without running it", async () => {
    const queue = serverQueue();
    const held = holdTheLine();
    const client = new AbortController();
    const answer = post(client.signal);
    await vi.waitFor(() => expect(queue.load.waiting).toBe(1), { timeout: 10_000 });
    const runs = modelRuns();

    client.abort();
    const response = await answer;
    expect(response.status).toBe(499);
    expect((await response.json()).error).toMatch(/closed the request/);
    expect(queue.load).toEqual({ waiting: 0, running: held.running });

    held.open();
    await held.done();
    expect(modelRuns()).toBe(runs);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });

  it("does not run a request whose client hung up before it got in line", async () => {
    const queue = serverQueue();
    const held = holdTheLine();
    const client = new AbortController();
    client.abort();
    const runs = modelRuns();
    const answer = post(client.signal);
    held.open();
    await held.done();
    const response = await answer;
    expect(response.status).toBe(499);
    expect((await response.json()).error).toMatch(/closed the request/);
    expect(modelRuns()).toBe(runs);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });

  it("stops a tiled image at the next tile when its client hangs up while it runs, and frees its place", async () => {
    // The largest square the compute budget allows, at full resolution: several tiles (lib/tiling), one model run each.
    const side = largestSquareSide(SERVER_REQUEST_MAX_PIXELS);
    const TILES = planTiles(side, side, daeTileOptions({ ...SMALL_DAE })).tiles.length;
    expect(TILES).toBeGreaterThan(2);
    const big = await sharp({ create: { width: side, height: side, channels: 3, background: "#406080" } }).png().toBuffer();
    const client = new AbortController();
    const runs = modelRuns();
    const answer = post(client.signal, big);
    await vi.waitFor(() => expect(modelRuns()).toBeGreaterThan(runs), { timeout: 30_000, interval: 1 });
    client.abort();
    const response = await answer;
    expect(response.status).toBe(499);
    expect((await response.json()).error).toMatch(/closed the request while it ran; its work was stopped/);
    const ran = modelRuns() - runs;
    console.log(`a hang-up after the first tile: ${ran} of ${TILES} tiles ran`);
    expect(ran).toBeLessThan(TILES);
    expect(serverQueue().load).toEqual({ waiting: 0, running: 0 });
    // Nothing of it is left running: no more tiles, and the next request is served.
    expect((await post()).status).toBe(200);
    expect(modelRuns()).toBe(runs + ran + 1);
  });
});
