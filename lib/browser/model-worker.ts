import * as Comlink from "comlink";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { errorMessage, yieldToEventLoop } from "../errors";
import type { PixelImage } from "../image";
import { describeModel, type ModelInfo } from "../manifest";
import type { LoadedArtifacts } from "../model-artifacts";
import { checkAgainstReference, decodeReference, type Reference, REFERENCE_ARTIFACT, referenceFits } from "../reference";
import { hasNonFinite, runModel, type TensorData } from "../run-model";
import { runTiled, type TileOptions, type TileOutput } from "../tiling";
import { type BackendAttempt, type ClientBackend, initBackend } from "./backends";
import { fetchModels, fetchVerified } from "./model-fetch";
import type { WasmThreading } from "./wasm-threads";

/**
 * The inference worker's side, generic over models, called through Comlink (inference-client.ts holds the page's
 * side). `init` downloads and checks the named models once, then walks the backend list (WebGPU, WebGL, WASM, CPU)
 * until one initialises, runs every model's warm-up without error or NaN, and, for a model that ships a reference
 * answer for this very version of it (lib/reference.ts), gives that answer within its tolerance: GPU backends
 * sometimes compute wrong results on some drivers, and such a backend is passed over with the reason. That second,
 * warm run is timed: the page's first estimate of this backend's speed. Calls run one at a time, in order;
 * `cancel` does not wait its turn, and a tiled run stops at the next tile boundary after it.
 */

export interface InitRequest {
  backends: ClientBackend[];
  /** Absolute URL where models/ is served. */
  modelsBase: string;
  models: string[];
  /** Input shape for one warm-up run per model (free dimensions filled in). */
  warmup: Record<string, readonly number[]>;
  /** Absolute URL of the folder holding tfjs' .wasm binaries. */
  wasmPrefix: string;
  /** Threads for the wasm backend; by default one per core. */
  wasmThreads?: number;
}

/** One timed run of a model on the backend, after its warm-up: `ms` for an input of `shape`. */
export interface Probe {
  ms: number;
  shape: number[];
}

export interface InitResult {
  /** Null when no backend in the list could load and run the models. */
  backend: ClientBackend | null;
  attempts: BackendAttempt[];
  models: ModelInfo[];
  downloadMs: number;
  /** Warm-up and reference check of the backend that was chosen. */
  warmupMs: number;
  /** The timed second run of each model with a warm-up shape or a reference, by model. */
  probes: Record<string, Probe>;
  /** On wasm: its thread count, and why one where more were wanted. */
  wasm?: WasmThreading;
  error?: string;
}

/** Called after each tile, with its output; passed as `Comlink.proxy(callback)`, so the worker calls back into the page. */
export type ProgressCallback = ((done: number, total: number, tile?: TileOutput) => void) & Comlink.ProxyMarked;

export interface Timed<T> {
  value: T;
  /** Time spent in the worker, model runs and read-back. */
  ms: number;
}

export class ModelWorker {
  private models = new Map<string, LayersModel>();
  private jobs = new Map<number, AbortController>();
  private turn: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every earlier call has finished: one model run at a time. */
  private inTurn<T>(task: () => Promise<T>): Promise<T> {
    const result = this.turn.then(task);
    this.turn = result.catch(() => undefined);
    return result;
  }

  init(request: InitRequest): Promise<InitResult> {
    return this.inTurn(async () => {
      const t0 = performance.now();
      let loaded: LoadedArtifacts[];
      let references: Map<string, Reference>;
      try {
        loaded = (await fetchModels(request.modelsBase, request.models)).models;
        references = await fetchReferences(request.modelsBase, loaded);
      } catch (error) {
        return { backend: null, attempts: [], models: [], downloadMs: 0, warmupMs: 0, probes: {}, error: `model download failed: ${errorMessage(error)}` };
      }
      const infos = loaded.map(({ name, entry }) => describeModel(name, entry));
      const downloadMs = performance.now() - t0;
      const attempts: BackendAttempt[] = [];
      for (const backend of request.backends) {
        const t1 = performance.now();
        try {
          const { probes, wasm } = await this.useBackend(backend, loaded, references, request);
          attempts.push({ backend, ok: true });
          return { backend, attempts, models: infos, downloadMs, warmupMs: performance.now() - t1, probes, wasm };
        } catch (error) {
          attempts.push({ backend, ok: false, error: errorMessage(error) });
        }
      }
      return { backend: null, attempts, models: infos, downloadMs, warmupMs: 0, probes: {}, error: "no backend in the list could run the model" };
    });
  }

  /** Makes `backend` the one the models run on, if it runs them right: the timed second run of each, by model. */
  private async useBackend(
    backend: ClientBackend,
    loaded: LoadedArtifacts[],
    references: Map<string, Reference>,
    { warmup, wasmPrefix, wasmThreads }: InitRequest,
  ): Promise<{ probes: Record<string, Probe>; wasm?: WasmThreading }> {
    const wasm = await initBackend(tf, backend, { wasmPrefix, wasmThreads });
    for (const model of this.models.values()) model.dispose();
    this.models.clear();
    const probes: Record<string, Probe> = {};
    for (const { name, artifacts } of loaded) {
      const model = await loadLayersModel({ load: async () => artifacts });
      this.models.set(name, model);
      const shape = warmup[name];
      const reference = references.get(name);
      if (shape) {
        // A mid-grey input: any NaN or Inf in the output means the backend computes this model wrongly.
        const outputs = await runModel(model, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape: [...shape] });
        if (outputs.some((o) => hasNonFinite(o.data))) throw new Error(`${name} gives NaN on ${backend}`);
      }
      const input = reference?.input ?? (shape && { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape: [...shape] });
      if (!input) continue;
      // Warm now (shaders compiled, memory allocated): this run's time is the backend's speed.
      const t0 = performance.now();
      const [output] = await runModel(model, input);
      probes[name] = { ms: performance.now() - t0, shape: input.shape };
      if (reference) {
        const check = checkAgainstReference(output, reference);
        if (!check.ok) throw new Error(`${name} on ${backend}: ${check.reason}`);
      }
    }
    return { probes, wasm };
  }

  private model(name: string): LayersModel {
    const model = this.models.get(name);
    if (!model) throw new Error(`model "${name}" is not loaded`);
    return model;
  }

  /** Every output of the model, in order (one for most models; the VAE encoder has z_mean and z_log_var). */
  predict(name: string, input: TensorData): Promise<Timed<TensorData[]>> {
    return this.inTurn(async () => {
      const t0 = performance.now();
      const outputs = await runModel(this.model(name), input);
      const ms = performance.now() - t0;
      if (outputs.some((o) => hasNonFinite(o.data))) throw new Error(`${name} returned NaN`);
      return Comlink.transfer({ value: outputs, ms }, outputs.map((o) => o.data.buffer as ArrayBuffer));
    });
  }

  /** An image-to-image model over an image of any size, tile by tile; `job` names it for `cancel`. */
  tiled(
    job: number,
    name: string,
    image: PixelImage<Uint8ClampedArray>,
    tiles: TileOptions,
    onProgress: ProgressCallback,
  ): Promise<Timed<PixelImage<Uint8ClampedArray>>> {
    const controller = new AbortController();
    this.jobs.set(job, controller);
    return this.inTurn(async () => {
      const t0 = performance.now();
      const model = this.model(name);
      const out = await runTiled(
        image,
        tiles,
        async (data, width, height) => {
          const [output] = await runModel(model, { data, shape: [1, height, width, image.channels] });
          // Let a cancel message in between tiles.
          await yieldToEventLoop();
          return output.data;
        },
        { signal: controller.signal, onProgress: (done, total, tile) => void onProgress(done, total, tile) },
      );
      return Comlink.transfer({ value: out, ms: performance.now() - t0 }, [out.data.buffer]);
    }).finally(() => {
      this.jobs.delete(job);
      // Called through Comlink, the callback is a proxy of the page's function: close its channel.
      const proxy = onProgress as unknown as Partial<Comlink.Remote<ProgressCallback>>;
      if (typeof proxy[Comlink.releaseProxy] === "function") void proxy[Comlink.releaseProxy]();
    });
  }

  /** Stops a tiled run, running or still waiting for its turn. */
  cancel(job: number): void {
    this.jobs.get(job)?.abort();
  }
}

/**
 * The reference answers the manifest lists for the loaded models, each sha256-checked like a model file. One
 * computed with other model files than these (a model retrained since) does not apply and is left out.
 */
async function fetchReferences(modelsBase: string, loaded: LoadedArtifacts[]): Promise<Map<string, Reference>> {
  const references = new Map<string, Reference>();
  for (const { name, entry } of loaded) {
    const file = entry.artifacts?.[REFERENCE_ARTIFACT];
    if (!file) continue;
    const reference = decodeReference(JSON.parse(new TextDecoder().decode(await fetchVerified(modelsBase, file))));
    if (reference.model === name && referenceFits(reference, entry)) references.set(name, reference);
  }
  return references;
}
