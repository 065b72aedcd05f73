import * as Comlink from "comlink";
import type { ModelSpec } from "../catalogue";
import { errorMessage, isAbortError } from "../errors";
import type { PixelImage } from "../image";
import type { ModelInfo } from "../manifest";
import type { TensorData } from "../run-model";
import type { TileOptions, TileOutput } from "../tiling";
import { type Speed, tiledInputPixels } from "../working-size";
import { type BackendAttempt, type BackendName, type ClientBackend, isClientBackend } from "./backends";
import type { InitResult, ModelWorker, Probe } from "./model-worker";
import type { WasmThreading } from "./wasm-threads";

/**
 * The page's side of inference, generic over models: it runs the models in a Web Worker (model-worker.ts, called
 * through Comlink) on the first client backend (WebGPU, WebGL, WASM, CPU) that loads and warms them up, and falls
 * back to a server runner (supplied by the page, since each model has its own route) when none does, when the
 * worker cannot start, or when a backend fails later on. Later failures restart the worker on the backends after
 * the one that failed.
 */

/** Progress of a tiled run: called before the first tile, then after each with its output. */
export type ProgressHandler = (done: number, total: number, tile?: TileOutput) => void;

/** How a page runs a model on the server: the end of the chain. */
export interface ServerRunner {
  /** One output, or every output of a model that has several (in the model's order). */
  predict(model: string, input: TensorData): Promise<TensorData | TensorData[]>;
  /** An image-to-image model over a whole image, with the page's tiling (a server may split it further). */
  tiled?(model: string, image: PixelImage<Uint8ClampedArray>, tiles: TileOptions, onProgress: ProgressHandler, signal: AbortSignal): Promise<PixelImage<Uint8ClampedArray>>;
  /** Model sizes and versions for the badge, where the worker could not fetch them. */
  describe?(): Promise<ModelInfo[]>;
}

export interface InferenceOptions {
  /** Where models/ is served: the app's `/api/models` or a Blob store base URL. */
  modelsBase: string;
  /** The models to load, from the catalogue; each runs its warm-up input once on a backend before it counts. */
  models: readonly ModelSpec[];
  /** The chain, in order; "server" only works with a server runner. */
  backends: BackendName[];
  server?: ServerRunner;
  /** Skip the warm-up runs (the benchmarks time the first run themselves). */
  skipWarmup?: boolean;
  /** Folder with tfjs' .wasm files, served by the app. */
  wasmPrefix?: string;
  /** Threads for the wasm backend (`?threads=`); by default one per core. */
  wasmThreads?: number;
}

export interface InferenceStatus {
  phase: "loading" | "ready" | "failed";
  backend: BackendName | null;
  attempts: BackendAttempt[];
  models: ModelInfo[];
  /** Model download and warm-up times of the current client backend. */
  downloadMs?: number;
  warmupMs?: number;
  /** The timed warm run of each model on the current client backend (model-worker.ts). */
  probes?: Record<string, Probe>;
  /** On wasm: its thread count, and why one where more were wanted. */
  wasm?: WasmThreading;
  message?: string;
}

export interface RunResult<T> {
  value: T;
  /** Time spent running the model (worker side), or the round trip for the server. */
  ms: number;
  backend: BackendName;
}

/**
 * The running worker and its Comlink proxy. Comlink's calls would wait forever on a worker that died or was
 * stopped, so each call races `ended`, which rejects when either happens.
 */
interface WorkerHandle {
  worker: Worker;
  api: Comlink.Remote<ModelWorker>;
  ended: Promise<never>;
  end: (reason: Error) => void;
}

export class InferenceClient {
  private handle: WorkerHandle | null = null;
  private nextJob = 1;
  private remaining: ClientBackend[];
  private statusValue: InferenceStatus = { phase: "loading", backend: null, attempts: [], models: [] };
  private listeners = new Set<(status: InferenceStatus) => void>();
  private starting: Promise<InferenceStatus> | null = null;
  private disposedValue = false;
  /** The latest measured speed of each image model on the current backend, by model. */
  private speeds = new Map<string, Speed>();

  constructor(private readonly options: InferenceOptions) {
    this.remaining = options.backends.filter(isClientBackend);
  }

  get status(): InferenceStatus {
    return this.statusValue;
  }

  /** A disposed client runs nothing more: its page moved on to another chain or unmounted. */
  get disposed(): boolean {
    return this.disposedValue;
  }

  subscribe(listener: (status: InferenceStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this.statusValue);
    return () => this.listeners.delete(listener);
  }

  private setStatus(status: InferenceStatus): InferenceStatus {
    // Speeds measured on one backend say nothing about the next.
    if (status.backend !== this.statusValue.backend) this.speeds.clear();
    this.statusValue = status;
    for (const listener of this.listeners) listener(status);
    return status;
  }

  /** Starts the chain (once); resolves when a backend is ready or everything failed. */
  start(): Promise<InferenceStatus> {
    this.starting ??= this.walkChain();
    return this.starting;
  }

  private async walkChain(): Promise<InferenceStatus> {
    const attempts: BackendAttempt[] = [...this.statusValue.attempts];
    let models = this.statusValue.models;
    let lastError: string | undefined;
    if (this.remaining.length > 0) {
      try {
        const ready = await this.startWorkerOrOneThread(this.remaining);
        attempts.push(...ready.attempts);
        if (ready.models.length) models = ready.models;
        if (ready.backend) {
          this.remaining = this.remaining.slice(this.remaining.indexOf(ready.backend) + 1);
          const { backend, downloadMs, warmupMs, probes, wasm } = ready;
          return this.setStatus({ phase: "ready", backend, attempts, models, downloadMs, warmupMs, probes, wasm });
        }
        lastError = ready.error;
      } catch (error) {
        lastError = `the inference worker failed: ${errorMessage(error)}`;
        attempts.push(...this.remaining.map((backend) => ({ backend, ok: false, error: lastError })));
      }
      this.remaining = [];
      this.stopWorker();
    }
    const { server } = this.options;
    if (this.options.backends.includes("server") && server) {
      if (!models.length && server.describe) models = await server.describe().catch(() => []);
      return this.setStatus({ phase: "ready", backend: "server", attempts: [...attempts, { backend: "server", ok: true }], models });
    }
    return this.setStatus({ phase: "failed", backend: null, attempts, models, message: lastError ?? "no backend is allowed" });
  }

  /**
   * Starts the worker on `backends`. A wasm thread that cannot start (its script blocked or missing) takes the
   * whole worker down with it, which would send the page to the server: where wasm may have started threads, a
   * crash gets one more start with wasm on one thread, and the badge says why.
   */
  private async startWorkerOrOneThread(backends: ClientBackend[]): Promise<InitResult> {
    const { wasmThreads } = this.options;
    try {
      return await this.startWorker(backends, wasmThreads);
    } catch (error) {
      if (wasmThreads === 1 || !backends.includes("wasm")) throw error;
      const ready = await this.startWorker(backends, 1);
      if (ready.backend !== "wasm") return ready;
      // The error is Emscripten's rethrown ErrorEvent ("Uncaught [object ErrorEvent]"); the console has the detail.
      console.warn(`wasm threads failed to start, running on one thread: ${errorMessage(error)}`);
      return { ...ready, wasm: { threads: 1, singleThreadReason: "its threads failed to start" } };
    }
  }

  private async startWorker(backends: ClientBackend[], wasmThreads: number | undefined): Promise<InitResult> {
    this.stopWorker();
    if (typeof Worker === "undefined") throw new Error("this browser has no Web Workers");
    const worker = new Worker(new URL("./inference.worker.ts", import.meta.url), { type: "module", name: "inference" });
    let end: (reason: Error) => void = () => {};
    const ended = new Promise<never>((_, reject) => (end = reject));
    ended.catch(() => undefined); // observed by the calls that race it
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      end(new Error(event.message || "the worker crashed"));
    });
    this.handle = { worker, api: Comlink.wrap<ModelWorker>(worker), ended, end };
    const { options } = this;
    return this.call((api) =>
      api.init({
        backends,
        modelsBase: new URL(options.modelsBase, location.href).href,
        models: options.models.map((m) => m.key),
        warmup: options.skipWarmup ? {} : Object.fromEntries(options.models.flatMap((m) => (m.warmup ? [[m.key, m.warmup]] : []))),
        wasmPrefix: options.wasmPrefix ?? new URL("/tfjs-wasm/", location.href).href,
        wasmThreads,
      }),
    );
  }

  /** One call into the worker; it fails, rather than hangs, if the worker dies or is stopped meanwhile. */
  private call<T>(run: (api: Comlink.Remote<ModelWorker>) => Promise<T>): Promise<T> {
    const handle = this.handle;
    if (!handle) return Promise.reject(new Error("no worker"));
    return Promise.race([run(handle.api), handle.ended]);
  }

  private stopWorker() {
    const handle = this.handle;
    if (!handle) return;
    this.handle = null;
    handle.end(new Error("the worker was stopped"));
    handle.worker.terminate();
  }

  /** A client backend failed at run time: move on down the chain (restarting the worker), then retry. */
  private async fallBack(error: unknown): Promise<void> {
    const failed = this.statusValue.backend;
    const attempts = [...this.statusValue.attempts];
    if (failed) attempts.push({ backend: failed, ok: false, error: `failed while running: ${errorMessage(error)}` });
    this.setStatus({ ...this.statusValue, phase: "loading", attempts });
    this.starting = this.walkChain();
    const status = await this.starting;
    if (status.phase !== "ready") throw new Error(status.message ?? "no backend left");
  }

  private async withFallback<T>(client: () => Promise<RunResult<T>>, server: () => Promise<RunResult<T>>): Promise<RunResult<T>> {
    if (this.disposedValue) throw new Error("the inference client was disposed");
    await this.start();
    for (let tries = 0; ; tries++) {
      const status = this.statusValue;
      if (status.phase === "failed" || !status.backend) throw new Error(status.message ?? "no backend could run the model");
      try {
        return status.backend === "server" ? await server() : await client();
      } catch (error) {
        if (isAbortError(error) || status.backend === "server" || tries > 4 || this.disposedValue) throw error;
        await this.fallBack(error);
      }
    }
  }

  private async onServer<T>(run: () => Promise<T>): Promise<RunResult<T>> {
    const t0 = performance.now();
    const value = await run();
    return { value, ms: performance.now() - t0, backend: "server" };
  }

  /** Runs a model on one input; its first output (see predictAll for models with several). */
  async predict(model: string, input: TensorData): Promise<RunResult<TensorData>> {
    const result = await this.predictAll(model, input);
    return { ...result, value: result.value[0] };
  }

  /** Runs a model on one input and returns every output, in the model's order, each with its shape. */
  async predictAll(model: string, input: TensorData): Promise<RunResult<TensorData[]>> {
    return this.withFallback(
      async () => {
        const data = input.data.slice();
        const { value, ms } = await this.call((api) => api.predict(model, Comlink.transfer({ data, shape: input.shape }, [data.buffer])));
        return { value, ms, backend: this.statusValue.backend! };
      },
      () => this.onServer(async () => [(await this.options.server!.predict(model, input))].flat()),
    );
  }

  /** Runs an image-to-image model over an image of any size, tile by tile (see lib/tiling). */
  async tiled(
    model: string,
    image: PixelImage<Uint8ClampedArray>,
    tiles: TileOptions,
    onProgress: ProgressHandler,
    signal: AbortSignal,
  ): Promise<RunResult<PixelImage<Uint8ClampedArray>>> {
    const result = await this.withFallback(
      async () => {
        signal.throwIfAborted();
        const data = image.data.slice();
        const job = this.nextJob++;
        const cancel = () => void this.handle?.api.cancel(job);
        signal.addEventListener("abort", cancel);
        try {
          const { value, ms } = await this.call((api) =>
            api.tiled(job, model, Comlink.transfer({ ...image, data }, [data.buffer]), tiles, Comlink.proxy(onProgress)),
          );
          return { value, ms, backend: this.statusValue.backend! };
        } finally {
          signal.removeEventListener("abort", cancel);
        }
      },
      () => {
        const { server } = this.options;
        if (!server?.tiled) throw new Error("the server cannot run this model on whole images");
        return this.onServer(() => server.tiled!(model, image, tiles, onProgress, signal));
      },
    );
    if (result.backend === this.statusValue.backend) this.speeds.set(model, { ms: result.ms, pixels: tiledInputPixels(image.width, image.height, tiles) });
    return result;
  }

  /**
   * How fast an image model runs on the current backend: the latest whole-image run, else the warm run the worker
   * timed when the backend started; null when neither is known (on the server before its first run).
   */
  imageSpeed(model: string): Speed | null {
    const measured = this.speeds.get(model);
    if (measured) return measured;
    const probe = this.statusValue.probes?.[model];
    return probe && probe.shape.length === 4 ? { ms: probe.ms, pixels: probe.shape[1] * probe.shape[2] } : null;
  }

  /** imageSpeed, measuring it first where it is unknown: one timed run of the model's warm-up input (one request on the server). */
  async measureImageSpeed(model: string): Promise<Speed | null> {
    const known = this.imageSpeed(model);
    if (known) return known;
    const shape = this.options.models.find((m) => m.key === model)?.warmup;
    if (!shape || shape.length !== 4) return null;
    const { ms, backend } = await this.predict(model, { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5), shape: [...shape] });
    const speed = { ms, pixels: shape[1] * shape[2] };
    if (backend === this.statusValue.backend && !this.speeds.has(model)) this.speeds.set(model, speed);
    return speed;
  }

  dispose() {
    this.disposedValue = true;
    this.stopWorker();
    this.listeners.clear();
  }
}
