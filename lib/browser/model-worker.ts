import * as Comlink from "comlink";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { errorMessage, yieldToEventLoop } from "../errors";
import type { PixelImage } from "../image";
import { describeModel, type ModelInfo } from "../manifest";
import type { LoadedArtifacts } from "../model-artifacts";
import { hasNonFinite, runModel, type TensorData } from "../run-model";
import { runTiled, type TileOptions } from "../tiling";
import { type BackendAttempt, type ClientBackend, initBackend } from "./backends";
import { fetchModels } from "./model-fetch";
import type { WasmThreading } from "./wasm-threads";

/**
 * The inference worker's side, generic over models, called through Comlink (inference-client.ts holds the page's
 * side). `init` downloads and checks the named models once, then walks the backend list (WebGPU, WebGL, WASM, CPU)
 * until one both initialises and runs every model's warm-up without error or NaN. Calls run one at a time, in
 * order; `cancel` does not wait its turn, and a tiled run stops at the next tile boundary after it.
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

export interface InitResult {
  /** Null when no backend in the list could load and run the models. */
  backend: ClientBackend | null;
  attempts: BackendAttempt[];
  models: ModelInfo[];
  downloadMs: number;
  warmupMs: number;
  /** On wasm: its thread count, and why one where more were wanted. */
  wasm?: WasmThreading;
  error?: string;
}

/** Called after each tile; passed as `Comlink.proxy(callback)`, so the worker calls back into the page. */
export type ProgressCallback = ((done: number, total: number) => void) & Comlink.ProxyMarked;

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
      try {
        loaded = (await fetchModels(request.modelsBase, request.models)).models;
      } catch (error) {
        return { backend: null, attempts: [], models: [], downloadMs: 0, warmupMs: 0, error: `model download failed: ${errorMessage(error)}` };
      }
      const infos = loaded.map(({ name, entry }) => describeModel(name, entry));
      const downloadMs = performance.now() - t0;
      const attempts: BackendAttempt[] = [];
      for (const backend of request.backends) {
        const t1 = performance.now();
        try {
          const wasm = await this.useBackend(backend, loaded, request);
          attempts.push({ backend, ok: true });
          return { backend, attempts, models: infos, downloadMs, warmupMs: performance.now() - t1, wasm };
        } catch (error) {
          attempts.push({ backend, ok: false, error: errorMessage(error) });
        }
      }
      return { backend: null, attempts, models: infos, downloadMs, warmupMs: 0, error: "no backend in the list could run the model" };
    });
  }

  private async useBackend(backend: ClientBackend, loaded: LoadedArtifacts[], { warmup, wasmPrefix, wasmThreads }: InitRequest): Promise<WasmThreading | undefined> {
    const wasm = await initBackend(tf, backend, { wasmPrefix, wasmThreads });
    for (const model of this.models.values()) model.dispose();
    this.models.clear();
    for (const { name, artifacts } of loaded) {
      const model = await loadLayersModel({ load: async () => artifacts });
      this.models.set(name, model);
      const shape = warmup[name];
      if (!shape) continue;
      // A mid-grey input: any NaN or Inf in the output means the backend computes this model wrongly.
      const outputs = await runModel(model, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape: [...shape] });
      if (outputs.some((o) => hasNonFinite(o.data))) throw new Error(`${name} gives NaN on ${backend}`);
    }
    return wasm;
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
        { signal: controller.signal, onProgress: (done, total) => void onProgress(done, total) },
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
