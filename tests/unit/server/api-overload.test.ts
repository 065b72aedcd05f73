import { rmSync } from "node:fs";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { runModel } from "@/lib/run-model";
import { POST as denoise } from "@/app/api/denoise/route";
import { gate, serverQueue } from "../../helpers/server-state";
import { exportThrowawayModels } from "../../helpers/throwaway-models";

/**
 * POST /api/denoise when the server's inference line is busy (issue #13, item 7), on a throwaway models folder: a
 * request beyond the line's 64 waiting places gets 503 with Retry-After and never runs; a request whose client
 * hangs up while it waits (or before it gets in line) leaves the line and never runs. The line is the routes' own
 * (serverQueue), held busy by a task of the test's; runModel is wrapped to count the model runs. (A file of its
 * own: the line and the models are the process's.)
 */

vi.mock("@/lib/run-model", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@/lib/run-model")>();
  return { ...actual, runModel: vi.fn(actual.runModel) };
});

const WAITING_PLACES = 64;
let dir: string;
let tiny: Buffer;

const modelRuns = () => vi.mocked(runModel).mock.calls.length;
const post = (signal?: AbortSignal) =>
  denoise(new Request("http://localhost/api/denoise?full=true&noise=none", { method: "POST", body: new Uint8Array(tiny), headers: { "content-type": "image/png" }, signal }));

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = (await exportThrowawayModels("overload-")).dir;
  process.env.MODELS_DIR = dir;
  tiny = await sharp(Buffer.from(Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 41) % 256)), { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toBuffer();
  // Loads the model, so that every later run is one call of runModel.
  expect((await post()).status).toBe(200);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

describe("POST /api/denoise and a busy server", () => {
  it("answers 503 with Retry-After beyond the line's waiting places, without running it; the requests in line are served", async () => {
    const queue = serverQueue();
    expect(queue.limits.maxWaiting).toBe(WAITING_PLACES);
    const { open, opened } = gate();
    const holder = queue.run(() => opened);
    const inLine = Array.from({ length: WAITING_PLACES }, () => post());
    await vi.waitFor(() => expect(queue.load).toEqual({ waiting: WAITING_PLACES, running: 1 }), { timeout: 10_000 });
    const runs = modelRuns();

    const refused = await post();
    expect(refused.status).toBe(503);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await refused.json()).error).toMatch(/busy \(64 requests waiting\)/);
    expect(queue.load).toEqual({ waiting: WAITING_PLACES, running: 1 });

    open();
    await holder;
    const answers = await Promise.all(inLine);
    expect(answers.map((r) => r.status)).toEqual(Array(WAITING_PLACES).fill(200));
    expect(modelRuns()).toBe(runs + WAITING_PLACES);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });

  it("takes a request out of the line when its client hangs up while it waits, with an error and without running it", async () => {
    const queue = serverQueue();
    const { open, opened } = gate();
    const holder = queue.run(() => opened);
    const client = new AbortController();
    const answer = post(client.signal);
    await vi.waitFor(() => expect(queue.load.waiting).toBe(1), { timeout: 10_000 });
    const runs = modelRuns();

    client.abort();
    const response = await answer;
    expect(response.status).toBe(499);
    expect((await response.json()).error).toMatch(/closed the request/);
    expect(queue.load).toEqual({ waiting: 0, running: 1 });

    open();
    await holder;
    expect(modelRuns()).toBe(runs);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });

  it("does not run a request whose client hung up before it got in line", async () => {
    const queue = serverQueue();
    const { open, opened } = gate();
    const holder = queue.run(() => opened);
    const client = new AbortController();
    client.abort();
    const runs = modelRuns();
    const answer = post(client.signal);
    open();
    await holder;
    const response = await answer;
    expect(response.status).toBe(499);
    expect((await response.json()).error).toMatch(/closed the request/);
    expect(modelRuns()).toBe(runs);
    expect(queue.load).toEqual({ waiting: 0, running: 0 });
  });
});
