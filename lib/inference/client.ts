import { type BackendAttempt, type BackendName, type ClientBackend, errorMessage, isClientBackend } from "./backends";
import type { ModelInfo, TensorData, TileSpec, WorkerReply, WorkerRequest } from "./protocol";

/**
 * The page's side of inference, generic over models: it runs the models in a Web Worker on the first client
 * backend (WebGPU, WebGL, WASM, CPU) that loads and warms them up, and falls back to a server runner (supplied by
 * the page, since each model has its own route) when none does, when the worker cannot start, or when a backend
 * fails later on. Later failures restart the worker on the backends after the one that failed.
 */

export interface RgbaLikeImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
  channels: number;
}

/** How a page runs a model on the server: the end of the chain. */
export interface ServerRunner {
  /** One output, or every output of a model that has several (in the model's order). */
  predict(model: string, input: TensorData): Promise<TensorData | TensorData[]>;
  /** An image-to-image model over a whole image, with the page's tiling (a server may split it further). */
  tiled?(model: string, image: RgbaLikeImage, tiles: TileSpec, onProgress: (done: number, total: number) => void, signal: AbortSignal): Promise<RgbaLikeImage>;
  /** Model sizes and versions for the badge, where the worker could not fetch them. */
  describe?(): Promise<ModelInfo[]>;
}

export interface InferenceOptions {
  /** Where models/ is served: the app's `/api/models` or a Blob store base URL. */
  modelsBase: string;
  /** Manifest names of the models to load. */
  models: string[];
  /** One warm-up input shape per model. */
  warmup: Record<string, number[]>;
  /** The chain, in order; "server" only works with a server runner. */
  backends: BackendName[];
  server?: ServerRunner;
  /** Folder with tfjs' .wasm files, served by the app. */
  wasmPrefix?: string;
}

export interface InferenceStatus {
  phase: "loading" | "ready" | "failed";
  backend: BackendName | null;
  attempts: BackendAttempt[];
  models: ModelInfo[];
  /** Model download and warm-up times of the current client backend. */
  downloadMs?: number;
  warmupMs?: number;
  message?: string;
}

export interface RunResult<T> {
  value: T;
  /** Time spent running the model (worker side), or the round trip for the server. */
  ms: number;
  backend: BackendName;
}

type Pending = {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
  onProgress?: (done: number, total: number) => void;
};

export class InferenceClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private remaining: ClientBackend[];
  private statusValue: InferenceStatus = { phase: "loading", backend: null, attempts: [], models: [] };
  private listeners = new Set<(status: InferenceStatus) => void>();
  private starting: Promise<InferenceStatus> | null = null;
  private disposed = false;

  constructor(private readonly options: InferenceOptions) {
    this.remaining = options.backends.filter(isClientBackend);
  }

  get status(): InferenceStatus {
    return this.statusValue;
  }

  subscribe(listener: (status: InferenceStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this.statusValue);
    return () => this.listeners.delete(listener);
  }

  private setStatus(status: InferenceStatus) {
    this.statusValue = status;
    for (const listener of this.listeners) listener(status);
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
        const ready = await this.startWorker(this.remaining);
        attempts.push(...ready.attempts);
        if (ready.models.length) models = ready.models;
        if (ready.backend) {
          this.remaining = this.remaining.slice(this.remaining.indexOf(ready.backend) + 1);
          const status: InferenceStatus = { phase: "ready", backend: ready.backend, attempts, models, downloadMs: ready.downloadMs, warmupMs: ready.warmupMs };
          this.setStatus(status);
          return status;
        }
        lastError = ready.error;
      } catch (error) {
        lastError = `the inference worker failed: ${errorMessage(error)}`;
        attempts.push(...this.remaining.map((backend) => ({ backend, ok: false, error: lastError })));
      }
      this.remaining = [];
      this.stopWorker();
    }
    if (this.options.backends.includes("server") && this.options.server) {
      if (!models.length && this.options.server.describe) models = await this.options.server.describe().catch(() => []);
      const status: InferenceStatus = { phase: "ready", backend: "server", attempts: [...attempts, { backend: "server", ok: true }], models };
      this.setStatus(status);
      return status;
    }
    const status: InferenceStatus = { phase: "failed", backend: null, attempts, models, message: lastError ?? "no backend is allowed" };
    this.setStatus(status);
    return status;
  }

  private startWorker(backends: ClientBackend[]): Promise<Extract<WorkerReply, { type: "ready" }>> {
    this.stopWorker();
    if (typeof Worker === "undefined") return Promise.reject(new Error("this browser has no Web Workers"));
    const worker = new Worker(new URL("./inference.worker.ts", import.meta.url), { type: "module", name: "inference" });
    this.worker = worker;
    worker.addEventListener("message", (event: MessageEvent<WorkerReply>) => this.onReply(event.data));
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      this.failAll(new Error(event.message || "the worker crashed"));
    });
    const wasmPrefix = this.options.wasmPrefix ?? new URL("/tfjs-wasm/", location.href).href;
    return this.request<Extract<WorkerReply, { type: "ready" }>>({
      type: "init",
      id: 0,
      backends,
      modelsBase: new URL(this.options.modelsBase, location.href).href,
      models: this.options.models,
      warmup: this.options.warmup,
      wasmPrefix,
    });
  }

  private stopWorker() {
    this.worker?.terminate();
    this.worker = null;
    this.failAll(new Error("the worker was stopped"));
  }

  private failAll(error: Error) {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }

  private onReply(reply: WorkerReply) {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.type === "progress") {
      pending.onProgress?.(reply.done, reply.total);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.type === "error") {
      const error = new Error(reply.message);
      if (reply.cancelled) error.name = "AbortError";
      pending.reject(error);
    } else {
      pending.resolve(reply);
    }
  }

  private request<T extends WorkerReply>(
    message: WorkerRequest,
    transfer: Transferable[] = [],
    onProgress?: (done: number, total: number) => void,
  ): Promise<T> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error("no worker"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerReply) => void, reject, onProgress });
      worker.postMessage({ ...message, id }, transfer);
    });
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
    if (this.disposed) throw new Error("the inference client was disposed");
    await this.start();
    for (let tries = 0; ; tries++) {
      const status = this.statusValue;
      if (status.phase === "failed" || !status.backend) throw new Error(status.message ?? "no backend could run the model");
      try {
        return status.backend === "server" ? await server() : await client();
      } catch (error) {
        if ((error instanceof Error && error.name === "AbortError") || status.backend === "server" || tries > 4 || this.disposed) throw error;
        await this.fallBack(error);
      }
    }
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
        const reply = await this.request<Extract<WorkerReply, { type: "result" }>>(
          { type: "predict", id: 0, model, input: { data, shape: input.shape } },
          [data.buffer],
        );
        return { value: reply.outputs, ms: reply.ms, backend: this.statusValue.backend! };
      },
      async () => {
        const t0 = performance.now();
        const value = await this.options.server!.predict(model, input);
        return { value: Array.isArray(value) ? value : [value], ms: performance.now() - t0, backend: "server" };
      },
    );
  }

  /** Runs an image-to-image model over an image of any size, tile by tile (see lib/inference/tiling). */
  async tiled(
    model: string,
    image: RgbaLikeImage,
    tiles: TileSpec,
    onProgress: (done: number, total: number) => void,
    signal: AbortSignal,
  ): Promise<RunResult<RgbaLikeImage>> {
    return this.withFallback(
      async () => {
        const data = image.data.slice();
        let id = 0;
        const abort = () => this.worker?.postMessage({ type: "cancel", id } satisfies WorkerRequest);
        signal.addEventListener("abort", abort);
        try {
          id = this.nextId; // the id request() is about to use
          const reply = await this.request<Extract<WorkerReply, { type: "tiled-result" }>>(
            { type: "tiled", id: 0, model, image: { ...image, data }, tiles },
            [data.buffer],
            onProgress,
          );
          return { value: reply.image, ms: reply.ms, backend: this.statusValue.backend! };
        } finally {
          signal.removeEventListener("abort", abort);
        }
      },
      async () => {
        if (!this.options.server?.tiled) throw new Error("the server cannot run this model on whole images");
        const t0 = performance.now();
        const value = await this.options.server.tiled(model, image, tiles, onProgress, signal);
        return { value, ms: performance.now() - t0, backend: "server" };
      },
    );
  }

  dispose() {
    this.disposed = true;
    this.stopWorker();
    this.listeners.clear();
  }
}
