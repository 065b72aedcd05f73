import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { MessageChannel, type MessagePort } from "node:worker_threads";
import * as Comlink from "comlink";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { InferenceClient } from "@/lib/browser/inference-client";
import { ModelWorker } from "@/lib/browser/model-worker";
import { FACE_SIDE, MODELS } from "@/lib/catalogue";
import type { ModelEntry } from "@/lib/manifest";
import { REFERENCE_ARTIFACT } from "@/lib/reference";
import { exportReference } from "@/training/export-reference";
import { exportThrowawayModels, modelsFolderFetch, readManifestJson } from "../../helpers/throwaway-models";

/**
 * A backend is trusted with a model only after it gives the model's reference answer (lib/reference.ts) within
 * its tolerance: the page's client on the chain cpu -> server, its worker on the CPU backend (a Worker made of a
 * Comlink MessageChannel, with fetch served from a throwaway models folder). With the right expected output the
 * chain stops at cpu and reports the timed warm run; with a deliberately corrupted one, cpu is passed over with
 * the reason and the chain moves on to the server; a reference made for other model files does not apply.
 */

let dir: string;
let entry: ModelEntry;
let input: { shape: number[]; bytes: Uint8Array };
let output: { data: Float32Array; shape: number[] };
const { dae } = MODELS;

/** The browser's Worker, as Comlink sees it: the worker's side is a ModelWorker on the other end of a channel. */
class ChannelWorker {
  private port: MessagePort;
  constructor() {
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(new ModelWorker(), port1 as unknown as Comlink.Endpoint);
    this.port = port2;
  }
  postMessage(message: unknown, transfer?: Transferable[]) {
    this.port.postMessage(message, transfer as never);
  }
  addEventListener(type: string, listener: (event: unknown) => void) {
    this.port.addEventListener(type, listener as never);
  }
  removeEventListener(type: string, listener: (event: unknown) => void) {
    this.port.removeEventListener(type, listener as never);
  }
  terminate() {
    this.port.close();
  }
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  const exported = await exportThrowawayModels("reference-check-");
  dir = exported.dir;
  entry = exported.entries[dae.key];
  const shape = [1, FACE_SIDE, FACE_SIDE, 3];
  input = { shape, bytes: Uint8Array.from({ length: FACE_SIDE * FACE_SIDE * 3 }, (_, i) => (i * 37) % 256) };
  const result = exported.dae.predict(tf.tensor4d(Float32Array.from(input.bytes, (b) => b / 255), shape as [number, number, number, number])) as tf.Tensor;
  output = { data: result.dataSync() as Float32Array, shape };
  vi.stubGlobal("Worker", ChannelWorker);
  vi.stubGlobal("location", { href: "http://test/" });
  vi.stubGlobal("fetch", modelsFolderFetch(dir));
});

afterAll(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

/** The DAE's reference, with its expected output shifted by `shift` everywhere (0: the right answer). */
async function writeReference(shift: number, forEntry = entry) {
  await exportReference(dir, dae.key, forEntry, { backend: "cpu", input, output: { ...output, data: output.data.map((v) => v + shift) } });
}

/** The client on cpu -> server, its server fallback a stub that answers with the input. */
async function startClient() {
  const server = { predict: vi.fn(async (_model: string, tensor: { data: Float32Array; shape: number[] }) => tensor) };
  const client = new InferenceClient({ modelsBase: "/models", models: [dae], backends: ["cpu", "server"], server, wasmPrefix: "" });
  const status = await client.start();
  return { client, status, server };
}

describe("the reference check when a backend starts", () => {
  beforeEach(() => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
  });

  it("keeps a backend that gives the reference answer, and times that warm run", async () => {
    await writeReference(0);
    expect(readManifestJson(dir).models[dae.key].artifacts?.[REFERENCE_ARTIFACT]?.path).toBe("dae/reference.json");
    const { client, status } = await startClient();
    expect(status).toMatchObject({ phase: "ready", backend: "cpu", attempts: [{ backend: "cpu", ok: true }] });
    expect(status.probes?.[dae.key]).toMatchObject({ shape: input.shape });
    expect(status.probes![dae.key].ms).toBeGreaterThan(0);
    expect(client.imageSpeed(dae.key)).toEqual({ ms: status.probes![dae.key].ms, pixels: FACE_SIDE * FACE_SIDE });
    client.dispose();
  });

  it("passes over a backend whose answer differs from a corrupted expected output, says why, and moves on to the server", async () => {
    await writeReference(0.2);
    const { client, status, server } = await startClient();
    expect(status.backend).toBe("server");
    expect(status.attempts[0]).toMatchObject({ backend: "cpu", ok: false });
    expect(status.attempts[0].error).toMatch(/^dae on cpu: its answer to the reference input differs from the expected one \(largest difference 0\.200/);
    expect(status.attempts.at(-1)).toEqual({ backend: "server", ok: true });
    // The model runs on the server now.
    const run = await client.predict(dae.key, { data: new Float32Array(12), shape: [1, 2, 2, 3] });
    expect(run.backend).toBe("server");
    expect(server.predict).toHaveBeenCalledTimes(1);
    client.dispose();
  });

  it("does not apply a reference made for other model files (a model retrained since)", async () => {
    const other = { ...entry, files: entry.files.map((f) => ({ ...f, sha256: "0".repeat(64) })) };
    await writeReference(0.2, other);
    // The manifest lists the real files again, beside the corrupted reference made for the other ones.
    const manifest = readManifestJson(dir);
    manifest.models[dae.key].files = entry.files;
    writeFileSync(path.join(dir, "manifest.json"), JSON.stringify(manifest));
    const { client, status } = await startClient();
    expect(status).toMatchObject({ backend: "cpu", attempts: [{ backend: "cpu", ok: true }] });
    client.dispose();
  });
});
