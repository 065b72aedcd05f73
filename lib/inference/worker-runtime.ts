import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { type BackendAttempt, type ClientBackend, errorMessage, initBackend } from "./backends";
import { fetchModels, modelBytes, type LoadedArtifacts } from "./model-source";
import type { ModelInfo, TensorData, WorkerReply, WorkerRequest } from "./protocol";
import { runTiled } from "./tiling";

/**
 * The inference worker, generic over models: it downloads and checks the named models once, then walks the backend
 * list (WebGPU, WebGL, WASM, CPU) until one both initialises and runs every model's warm-up without error or NaN.
 * Requests run one at a time, in order; a tiled run reports progress after each tile and stops when cancelled.
 */

interface WorkerScope {
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<WorkerRequest>) => void): void;
}

/** Runs the model and reads back every output (in the model's order), with its shape. */
async function predictAll(model: LayersModel, data: Float32Array, shape: number[]): Promise<TensorData[]> {
  const outputs = tf.tidy(() => {
    const result = model.predict(tf.tensor(data, shape, "float32"));
    return Array.isArray(result) ? result : [result];
  });
  try {
    return await Promise.all(outputs.map(async (t) => ({ data: (await t.data()) as Float32Array, shape: t.shape.slice() })));
  } finally {
    for (const t of outputs) t.dispose();
  }
}

async function predictOnce(model: LayersModel, data: Float32Array, shape: number[]): Promise<Float32Array> {
  return (await predictAll(model, data, shape))[0].data;
}

function hasNaN(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return true;
  return false;
}

export function startInferenceWorker(scope: WorkerScope): void {
  const models = new Map<string, LayersModel>();
  const cancelled = new Set<number>();
  let queue: Promise<void> = Promise.resolve();

  const reply = (message: WorkerReply, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

  async function tryBackend(backend: ClientBackend, loaded: LoadedArtifacts[], warmup: Record<string, number[]>, wasmPrefix: string) {
    await initBackend(tf, backend, { wasmPrefix });
    for (const m of models.values()) m.dispose();
    models.clear();
    for (const { name, artifacts } of loaded) {
      const model = await loadLayersModel({ load: async () => artifacts });
      models.set(name, model);
      const shape = warmup[name];
      if (shape) {
        const size = shape.reduce((a, b) => a * b, 1);
        // A mid-grey input: any NaN or Inf in the output means the backend computes this model wrongly.
        const outputs = await predictAll(model, new Float32Array(size).fill(0.5), shape);
        if (outputs.some((o) => hasNaN(o.data))) throw new Error(`${name} gives NaN on ${backend}`);
      }
    }
  }

  async function init(request: Extract<WorkerRequest, { type: "init" }>) {
    const attempts: BackendAttempt[] = [];
    const t0 = performance.now();
    let loaded: LoadedArtifacts[];
    let infos: ModelInfo[] = [];
    try {
      const fetched = await fetchModels(request.modelsBase, request.models);
      loaded = fetched.models;
      infos = loaded.map(({ name, entry }) => ({
        name,
        bytes: modelBytes(entry),
        sha256: entry.files.find((f) => f.path === entry.entry)?.sha256 ?? "",
        config: entry.training.config,
      }));
    } catch (error) {
      reply({ type: "ready", id: request.id, backend: null, attempts, models: [], downloadMs: 0, warmupMs: 0, error: `model download failed: ${errorMessage(error)}` });
      return;
    }
    const downloadMs = performance.now() - t0;
    for (const backend of request.backends) {
      const t1 = performance.now();
      try {
        await tryBackend(backend, loaded, request.warmup, request.wasmPrefix);
        attempts.push({ backend, ok: true });
        reply({ type: "ready", id: request.id, backend, attempts, models: infos, downloadMs, warmupMs: performance.now() - t1 });
        return;
      } catch (error) {
        attempts.push({ backend, ok: false, error: errorMessage(error) });
      }
    }
    reply({ type: "ready", id: request.id, backend: null, attempts, models: infos, downloadMs, warmupMs: 0, error: "no backend in the list could run the model" });
  }

  async function handle(request: WorkerRequest) {
    switch (request.type) {
      case "init":
        return init(request);
      case "predict": {
        const model = models.get(request.model);
        if (!model) throw new Error(`model "${request.model}" is not loaded`);
        const t0 = performance.now();
        const outputs = await predictAll(model, request.input.data, request.input.shape);
        const ms = performance.now() - t0;
        if (outputs.some((o) => hasNaN(o.data))) throw new Error(`${request.model} returned NaN`);
        return reply({ type: "result", id: request.id, outputs, ms }, outputs.map((o) => o.data.buffer as ArrayBuffer));
      }
      case "tiled": {
        const model = models.get(request.model);
        if (!model) throw new Error(`model "${request.model}" is not loaded`);
        const { image, tiles } = request;
        const t0 = performance.now();
        const signal = { get aborted() { return cancelled.has(request.id); } };
        const out = await runTiled(image, tiles, async (input, width, height) => {
          const data = await predictOnce(model, input, [1, height, width, image.channels]);
          // Let a cancel message in between tiles.
          await new Promise((resolve) => setTimeout(resolve, 0));
          return data;
        }, { signal, onProgress: (done, total) => reply({ type: "progress", id: request.id, done, total }) });
        cancelled.delete(request.id);
        return reply({ type: "tiled-result", id: request.id, image: out, ms: performance.now() - t0 }, [out.data.buffer]);
      }
    }
  }

  scope.addEventListener("message", (event) => {
    const request = event.data;
    if (request.type === "cancel") {
      cancelled.add(request.id);
      return;
    }
    queue = queue.then(() =>
      handle(request).catch((error: unknown) => {
        const wasCancelled = error instanceof Error && error.name === "AbortError";
        cancelled.delete(request.id);
        reply({ type: "error", id: request.id, message: errorMessage(error), cancelled: wasCancelled });
      }),
    );
  });
}
