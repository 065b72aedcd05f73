import "server-only";
import cluster from "node:cluster";
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { io } from "@tensorflow/tfjs-core";
import * as Comlink from "comlink";
import nodeEndpoint, { type NodeEndpoint } from "comlink/dist/umd/node-adapter.js";
import PQueue from "p-queue";
import { errorMessage } from "../errors";
import type { PixelImage } from "../image";
import type { DenoisingScores } from "../metrics";
import type { TensorData } from "../run-model";
import { HttpError } from "./http";
import type { ModelThread } from "./inference-worker";

/**
 * The server's inference threads: a few worker threads per process (inference-worker.ts), each holding its own
 * tfjs and its own copy of the models, loaded once. The process's event loop only hands them model inputs and
 * takes the outputs back, so pages, /api/health and small requests are answered while models run.
 *
 * Why our own pool rather than piscina or tinypool: Next (Turbopack) compiles and traces a worker only when the code
 * says `new Worker(new URL("./file.ts", import.meta.url))` itself; a pool library starts its workers from a file name
 * inside its own package, which the bundler cannot follow, so the worker would have to be a hand-written .mjs beside
 * the TypeScript it shares (runModel) and be traced by hand. What is left to do here is small: the calls go through
 * Comlink (as the page's own worker's do), p-queue hands each request a free thread, preferring one that holds the
 * model, and a thread that dies fails its request with a 503 and is started again on the next.
 */

/** A model as the process hands it to a thread: its files' bytes, checked against the manifest, and their key. */
export interface PoolModel {
  name: string;
  /** The model's files' sha256s: a thread reloads the model when it changes. */
  key: string;
  artifacts: io.ModelArtifacts;
}

/**
 * How many inference threads a process gets: INFERENCE_THREADS if set, otherwise its share of the cores. Under
 * `npm start` (scripts/serve.mjs) there is one process per core (WEB_CONCURRENCY), so one thread each: a model run
 * keeps a core busy, and more threads than cores would only share them, each with another copy of tfjs and the
 * models. A single process (`next start`, a serverless function) gets one thread per core.
 */
export function inferenceThreadCount(env: Record<string, string | undefined> = process.env): number {
  const configured = Number(env.INFERENCE_THREADS);
  if (Number.isInteger(configured) && configured >= 1) return configured;
  const cores = os.availableParallelism();
  const clusterSize = Number(env.WEB_CONCURRENCY);
  const processes = cluster.isWorker ? (Number.isInteger(clusterSize) && clusterSize >= 1 ? clusterSize : cores) : 1;
  return Math.max(1, Math.floor(cores / processes));
}

/**
 * A thread's failure: it could not start, or it stopped while it ran a request. The server's trouble, not the
 * request's (503); the cause goes to the log (one line, where it happened), not to the client.
 */
export class InferenceThreadError extends HttpError {
  constructor() {
    super(503, "The server's inference thread is not available right now; try again shortly.");
  }
}

/**
 * Vitest runs the TypeScript sources, and Node 20 cannot run a TypeScript worker on its own (nor take tsx's hooks
 * from `execArgv`): there a small script registers tsx in the thread first, then imports the worker. Next's build
 * compiles the worker instead (its import.meta.url still names the .ts file, so that cannot tell the two apart).
 */
const FROM_SOURCE = process.env.VITEST === "true";
const TSX_THEN_WORKER = `import("tsx/esm/api").then(({ register }) => { register(); return import(require("node:worker_threads").workerData.entry); })`;

function startWorker(): Worker {
  if (FROM_SOURCE) return new Worker(TSX_THEN_WORKER, { eval: true, name: "inference", workerData: { entry: new URL("./inference-worker.ts", import.meta.url).href } });
  return new Worker(new URL("./inference-worker.ts", import.meta.url), { name: "inference" });
}

/** A started worker: its Comlink proxy, and what it is doing. */
interface RunningWorker {
  worker: Worker;
  remote: Comlink.Remote<ModelThread>;
  /** Resolves with the tfjs backend once the worker has started it. */
  started: Promise<string>;
  /** Rejects when the worker stops: every call races it, since Comlink cannot see a worker die. */
  gone: Promise<never>;
  /** Forgets the worker (logged, unless quietly), fails the call it ran with an InferenceThreadError, and ends it. */
  forget: (why: string, quietly?: boolean) => void;
}

class InferenceThread {
  private running: RunningWorker | null = null;
  /** The models this thread holds: name -> key. */
  readonly models = new Map<string, string>();
  /** Live tensors in the thread after its last request. */
  tensors = 0;
  busy = false;

  /** Starts the thread if it is not running (again, after it died), and resolves with its tfjs backend. */
  start(): Promise<string> {
    this.running ??= this.launch();
    return this.running.started;
  }

  private launch(): RunningWorker {
    const worker = startWorker();
    // An idle thread does not keep the process alive; a server's listening socket does.
    worker.unref();
    const remote = Comlink.wrap<ModelThread>(nodeEndpoint(worker as unknown as NodeEndpoint));
    let stopped!: (error: Error) => void;
    const gone = new Promise<never>((_, reject) => (stopped = reject));
    gone.catch(() => {});
    const forget = (why: string, quietly = false) => {
      if (this.running?.worker !== worker) return;
      if (!quietly) console.error(`inference thread ${worker.threadId}: ${why}${this.busy ? " (during a request)" : ""}`);
      this.running = null;
      this.models.clear();
      this.tensors = 0;
      stopped(new InferenceThreadError());
      void worker.terminate();
    };
    worker.on("error", (error) => forget(`it failed: ${error.message}`));
    worker.on("exit", (code) => forget(`it exited with code ${code}`));
    // A thread that cannot start is tried again on the next request, not in a loop.
    const started = Promise.race([remote.started(), gone]).catch((error: unknown) => {
      if (!(error instanceof InferenceThreadError)) forget(`it could not start tfjs: ${errorMessage(error)}`);
      throw new InferenceThreadError();
    });
    return { worker, remote, started, gone, forget };
  }

  /** Calls the thread (started first), failing with an InferenceThreadError if it stops meanwhile. */
  private async call<T>(method: (remote: Comlink.Remote<ModelThread>) => Promise<T>): Promise<T> {
    await this.start();
    const running = this.running;
    if (!running) throw new InferenceThreadError();
    return Promise.race([method(running.remote), running.gone]);
  }

  async load(model: PoolModel): Promise<void> {
    if (this.models.get(model.name) === model.key) return;
    this.tensors = await this.call((remote) => remote.load(model.name, model.key, model.artifacts));
    this.models.set(model.name, model.key);
  }

  async run(model: PoolModel, input: TensorData): Promise<TensorData[]> {
    await this.load(model);
    // The input was made for this call: it moves to the thread rather than being copied.
    const { outputs, tensors } = await this.call((remote) => remote.run(model.name, model.key, Comlink.transfer(input, [input.data.buffer as ArrayBuffer])));
    this.tensors = tensors;
    return outputs;
  }

  scores(clean: PixelImage, noisy: PixelImage, denoised: PixelImage): Promise<DenoisingScores> {
    return this.call((remote) => remote.scores(clean, noisy, denoised));
  }

  /** Stops the thread; the next request starts another. */
  stop(): void {
    this.running?.forget("stopped", true);
  }
}

export class InferencePool {
  private readonly threads: InferenceThread[];
  /** Hands each request a free thread: as many at once as there are threads, the rest in order. */
  private readonly turns: PQueue;
  /** Requests the threads have answered. */
  completed = 0;

  constructor(readonly size: number) {
    this.threads = Array.from({ length: size }, () => new InferenceThread());
    this.turns = new PQueue({ concurrency: size });
  }

  /** A free thread, one that holds the model (if one is named) where there is one. */
  private async withThread<T>(model: PoolModel | null, work: (thread: InferenceThread) => Promise<T>): Promise<T> {
    const result = await this.turns.add(async () => {
      const free = this.threads.filter((t) => !t.busy);
      const thread = (model && free.find((t) => t.models.get(model.name) === model.key)) || free[0];
      thread.busy = true;
      try {
        return await work(thread);
      } finally {
        thread.busy = false;
        this.completed++;
      }
    });
    return result as T;
  }

  /** Runs the model on one input in a thread: its outputs, in the model's order. */
  run(model: PoolModel, input: TensorData): Promise<TensorData[]> {
    return this.withThread(model, (thread) => thread.run(model, input));
  }

  /** A denoised image's scores (lib/metrics' denoisingScores), computed in a thread: about a second of arithmetic at full resolution. */
  scores(clean: PixelImage, noisy: PixelImage, denoised: PixelImage): Promise<DenoisingScores> {
    return this.withThread(null, (thread) => thread.scores(clean, noisy, denoised));
  }

  /**
   * A warm-up: makes sure some thread holds the model. Waits while a free thread loads it; when every thread is busy
   * with requests, the load waits its turn in the background and this returns at once (GET /api/health must not
   * wait behind a full-resolution request).
   */
  async warm(model: PoolModel): Promise<void> {
    if (this.threads.some((t) => t.models.get(model.name) === model.key)) return;
    const everyThreadBusy = this.turns.pending + this.turns.size >= this.size;
    const load = this.withThread(model, (thread) => thread.load(model));
    if (everyThreadBusy) load.catch(() => {});
    else await load;
  }

  /** The tfjs backend the threads run on ("wasm", or "cpu" where WASM could not start), starting one if needed. */
  backend(): Promise<string> {
    return this.threads[0].start();
  }

  /** Live tensors in all threads, as each last reported them. */
  get tensors(): number {
    return this.threads.reduce((sum, t) => sum + t.tensors, 0);
  }

  /** Requests running in a thread, and waiting for one. */
  get load(): { running: number; waiting: number } {
    return { running: this.turns.pending, waiting: this.turns.size };
  }

  /** Stops every thread (tests). The pool stays usable: the next request starts them again. */
  async close(): Promise<void> {
    for (const thread of this.threads) thread.stop();
  }
}
