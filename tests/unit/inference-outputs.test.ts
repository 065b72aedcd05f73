import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { buildDigitDecoder, buildVaeEncoder } from "@/lib/models";
import { InferenceClient } from "@/lib/inference/client";
import type { WorkerReply, WorkerRequest } from "@/lib/inference/protocol";
import { startInferenceWorker } from "@/lib/inference/worker-runtime";
import { exportLayersModel, updateManifest } from "@/training/export";

/**
 * Models with several outputs (the VAE encoder: z_mean and z_log_var) through the inference protocol: the worker
 * runtime (run here in Node on the CPU backend, with fetch served from a throwaway models folder) replies every
 * output with its own shape, and the client's predict / predictAll hand back the first or all of them, from the
 * worker or from a server runner.
 */

let dir: string;
const config = { hidden: [8] };
let encoder: ReturnType<typeof buildVaeEncoder>;
let decoder: ReturnType<typeof buildDigitDecoder>;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "outputs-"));
  await tf.setBackend("cpu");
  const training = { config, backend: "cpu", seconds: 0, examplesSeen: 1, epochs: 0, trainedAt: new Date(0).toISOString(), metrics: {} };
  encoder = buildVaeEncoder(config);
  decoder = buildDigitDecoder(config);
  await updateManifest(dir, {
    "vae-encoder": await exportLayersModel(encoder, dir, "vae/encoder", training),
    "vae-decoder": await exportLayersModel(decoder, dir, "vae/decoder", training),
  });
  vi.stubGlobal("fetch", async (url: string) => {
    const key = new URL(url).pathname.replace(/^\/models\//, "");
    try {
      return new Response(new Uint8Array(readFileSync(path.join(dir, key))));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
});

afterAll(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

function fakeWorker() {
  let listener: ((event: MessageEvent<WorkerRequest>) => void) | null = null;
  const replies: WorkerReply[] = [];
  const waiting: ((reply: WorkerReply) => void)[] = [];
  startInferenceWorker({
    postMessage: (message) => {
      const next = waiting.shift();
      if (next) next(message);
      else replies.push(message);
    },
    addEventListener: (_type, l) => {
      listener = l;
    },
  });
  return (request: WorkerRequest) =>
    new Promise<WorkerReply>((resolve) => {
      waiting.push(resolve);
      listener!({ data: request } as MessageEvent<WorkerRequest>);
    });
}

describe("several outputs through the inference protocol", () => {
  it("the worker replies every output with its own shape", async () => {
    const send = fakeWorker();
    const ready = await send({
      type: "init",
      id: 1,
      backends: ["cpu"],
      modelsBase: "http://test/models",
      models: ["vae-encoder", "vae-decoder"],
      warmup: { "vae-encoder": [1, 784], "vae-decoder": [1, 2] },
      wasmPrefix: "",
    });
    expect(ready).toMatchObject({ type: "ready", backend: "cpu" });
    const input = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 7) / 7);
    const reply = await send({ type: "predict", id: 2, model: "vae-encoder", input: { data: input.slice(), shape: [2, 784] } });
    if (reply.type !== "result") throw new Error(JSON.stringify(reply));
    expect(reply.outputs.map((o) => o.shape)).toEqual([[2, 2], [2, 2]]);
    const expected = (encoder.predict(tf.tensor2d(input, [2, 784])) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    reply.outputs.forEach((o, k) => Array.from(o.data).forEach((v, i) => expect(v).toBeCloseTo(expected[k][i], 5)));
    // A one-output model whose output shape differs from its input's.
    const decoded = await send({ type: "predict", id: 3, model: "vae-decoder", input: { data: Float32Array.of(0, 0, 1, -1, 2, 2), shape: [3, 2] } });
    if (decoded.type !== "result") throw new Error(JSON.stringify(decoded));
    expect(decoded.outputs).toHaveLength(1);
    expect(decoded.outputs[0].shape).toEqual([3, 784]);
  });

  it("the client's predict gives the first output and predictAll all of them, from a server runner too", async () => {
    const client = new InferenceClient({
      modelsBase: "http://test/models",
      models: ["vae-encoder"],
      warmup: {},
      backends: ["server"],
      server: {
        async predict() {
          return [
            { data: Float32Array.of(1, 2), shape: [1, 2] },
            { data: Float32Array.of(3, 4), shape: [1, 2] },
          ];
        },
      },
    });
    const input = { data: new Float32Array(784), shape: [1, 784] };
    const all = await client.predictAll("vae-encoder", input);
    expect(all.backend).toBe("server");
    expect(all.value.map((o) => Array.from(o.data))).toEqual([[1, 2], [3, 4]]);
    const first = await client.predict("vae-encoder", input);
    expect(Array.from(first.value.data)).toEqual([1, 2]);
    client.dispose();
  });
});
