import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { MessageChannel } from "node:worker_threads";
import * as Comlink from "comlink";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { InferenceClient } from "@/lib/browser/inference-client";
import { ModelWorker } from "@/lib/browser/model-worker";
import { daeTileOptions, MODELS } from "@/lib/catalogue";
import { pixelImage, toFloats } from "@/lib/image";
import { exportLayersModel, updateManifest } from "@/training/export";
import { buildDae, buildDigitDecoder, buildVaeEncoder } from "@/training/models";
import { modelsFolderFetch } from "../../helpers/throwaway-models";

/**
 * The inference worker's API through Comlink, as the page calls it (here over a Node MessageChannel, with the
 * worker's side on the CPU backend and fetch served from a throwaway models folder): every output comes back with
 * its own shape, errors and cancellations cross the channel, and the client's predict / predictAll hand back the
 * first or all of a model's outputs, from the worker or from a server runner.
 */

let dir: string;
const config = { hidden: [8] };
const daeConfig = { filters: 4, depth: 1, downsampling: 2 } as const;
let encoder: ReturnType<typeof buildVaeEncoder>;
let decoder: ReturnType<typeof buildDigitDecoder>;
let dae: ReturnType<typeof buildDae>;
const { vaeEncoder, vaeDecoder } = MODELS;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "outputs-"));
  await tf.setBackend("cpu");
  const training = { config, backend: "cpu", seconds: 0, examplesSeen: 1, epochs: 0, trainedAt: new Date(0).toISOString(), metrics: {} };
  encoder = buildVaeEncoder(config);
  decoder = buildDigitDecoder(config);
  dae = buildDae(daeConfig);
  await updateManifest(dir, {
    [MODELS.dae.key]: await exportLayersModel(dae, dir, MODELS.dae, { ...training, config: daeConfig }),
    [vaeEncoder.key]: await exportLayersModel(encoder, dir, vaeEncoder, training),
    [vaeDecoder.key]: await exportLayersModel(decoder, dir, vaeDecoder, training),
  });
  vi.stubGlobal("fetch", modelsFolderFetch(dir));
});

afterAll(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

/** A ModelWorker behind Comlink on one end of a channel, and its proxy on the other, as in the browser. */
function connectedWorker() {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(new ModelWorker(), port1 as unknown as Comlink.Endpoint);
  const api = Comlink.wrap<ModelWorker>(port2 as unknown as Comlink.Endpoint);
  return { api, close: () => (port1.close(), port2.close()) };
}

const init = (api: Comlink.Remote<ModelWorker>) =>
  api.init({
    backends: ["cpu"],
    modelsBase: "http://test/models",
    models: [vaeEncoder.key, vaeDecoder.key, MODELS.dae.key],
    warmup: { [vaeEncoder.key]: [...vaeEncoder.warmup!], [vaeDecoder.key]: [...vaeDecoder.warmup!] },
    wasmPrefix: "",
  });

describe("the inference worker through Comlink", () => {
  it("returns every output with its own shape", async () => {
    const { api, close } = connectedWorker();
    const ready = await init(api);
    expect(ready).toMatchObject({ backend: "cpu", attempts: [{ backend: "cpu", ok: true }] });
    expect(ready.models.map((m) => m.name)).toEqual([vaeEncoder.key, vaeDecoder.key, MODELS.dae.key]);
    const input = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 7) / 7);
    const { value: outputs } = await api.predict(vaeEncoder.key, { data: input.slice(), shape: [2, 784] });
    expect(outputs.map((o) => o.shape)).toEqual([[2, 2], [2, 2]]);
    const expected = (encoder.predict(tf.tensor2d(input, [2, 784])) as tf.Tensor[]).map((t) => Array.from(t.dataSync()));
    outputs.forEach((o, k) => Array.from(o.data).forEach((v, i) => expect(v).toBeCloseTo(expected[k][i], 5)));
    // A one-output model whose output shape differs from its input's.
    const decoded = await api.predict(vaeDecoder.key, { data: Float32Array.of(0, 0, 1, -1, 2, 2), shape: [3, 2] });
    expect(decoded.value).toHaveLength(1);
    expect(decoded.value[0].shape).toEqual([3, 784]);
    close();
  });

  it("reports a failure as an error that crosses the channel", async () => {
    const { api, close } = connectedWorker();
    await init(api);
    await expect(api.predict("no-such-model", { data: new Float32Array(2), shape: [1, 2] })).rejects.toThrow(/"no-such-model" is not loaded/);
    close();
  });

  it("runs an image tile by tile with progress, as one whole-image pass would", async () => {
    const { api, close } = connectedWorker();
    await init(api);
    const random = Array.from({ length: 20 * 12 * 3 }, (_, i) => (i * 37) % 256);
    const image = pixelImage(Uint8ClampedArray.from(random), 20, 12);
    const progress: [number, number][] = [];
    const tiles = daeTileOptions(daeConfig, 8);
    const { value } = await api.tiled(1, MODELS.dae.key, image, tiles, Comlink.proxy((done: number, total: number) => void progress.push([done, total])));
    const whole = dae.predict(tf.tensor4d(toFloats(image).data, [1, 12, 20, 3])) as tf.Tensor;
    const expected = Array.from(whole.dataSync(), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    expect(value.width).toBe(20);
    expect(Array.from(value.data).every((v, i) => Math.abs(v - expected[i]) <= 1)).toBe(true);
    // Comlink delivers the callbacks asynchronously: wait for the last one.
    await vi.waitFor(() => expect(progress.at(-1)).toEqual([6, 6]));
    expect(progress[0]).toEqual([0, 6]);
    close();
  });

  it("a cancelled tiled run rejects with an AbortError", async () => {
    const { api, close } = connectedWorker();
    await init(api);
    const image = pixelImage(new Uint8ClampedArray(64 * 64 * 3), 64, 64);
    const run = api.tiled(2, MODELS.dae.key, image, daeTileOptions(daeConfig, 8), Comlink.proxy(() => {}));
    void api.cancel(2);
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    close();
  });
});

describe("the client", () => {
  it("predict gives the first output and predictAll all of them, from a server runner too", async () => {
    const client = new InferenceClient({
      modelsBase: "http://test/models",
      models: [vaeEncoder],
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
    const all = await client.predictAll(vaeEncoder.key, input);
    expect(all.backend).toBe("server");
    expect(all.value.map((o) => Array.from(o.data))).toEqual([[1, 2], [3, 4]]);
    const first = await client.predict(vaeEncoder.key, input);
    expect(Array.from(first.value.data)).toEqual([1, 2]);
    client.dispose();
    expect(client.disposed).toBe(true);
  });
});
