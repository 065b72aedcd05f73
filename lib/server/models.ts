import "server-only";
import { describeModel, type Manifest, type ModelEntry, parseManifest } from "../manifest";
import { ModelIntegrityError, modelArtifacts } from "../model-artifacts";
import type { PixelImage } from "../image";
import type { DenoisingScores } from "../metrics";
import type { TensorData } from "../run-model";
import { ClientClosedError } from "./http";
import { InferencePool, inferenceThreadCount, type PoolModel } from "./inference-pool";
import { InferenceQueue } from "./queue";
import { getModelStorage } from "./storage";

/**
 * Server-side models (Node only), read from the model storage (lib/server/storage: the repository's models/ folder, or
 * the configured Blob store) with every file checked against its sha256 in the manifest, read once per process and
 * again when the manifest names new files. The models run in the process's inference threads (inference-pool.ts:
 * tfjs on WASM, one copy of each model per thread), never on its event loop. As many requests run at once as there
 * are threads, which bounds CPU and memory whatever the traffic, and a request that cannot get its turn soon is
 * answered 503 rather than left to pile up (runOnServer).
 */

export const MANIFEST_KEY = "manifest.json";

/**
 * How long a read manifest is trusted. Every request asks for it (to notice new models), and on Blob each read is a
 * network round trip: reading it at most this often keeps that off most requests, and a process still picks up
 * replaced models within seconds.
 */
export const MANIFEST_MAX_AGE_MS = 5_000;
let manifestRead: { at: number; manifest: Promise<Manifest> } | null = null;

async function readManifestFromStorage(): Promise<Manifest> {
  const object = await getModelStorage().get(MANIFEST_KEY);
  if (!object) throw new Error(`there is no ${MANIFEST_KEY} in ${getModelStorage().describe()}`);
  return parseManifest(JSON.parse(new TextDecoder().decode(object.bytes)));
}

/** The model manifest, read at most every MANIFEST_MAX_AGE_MS unless `fresh`; a failed read is not kept. */
export function readManifestFile({ fresh = false } = {}): Promise<Manifest> {
  if (fresh || !manifestRead || Date.now() - manifestRead.at > MANIFEST_MAX_AGE_MS) {
    const read = { at: Date.now(), manifest: readManifestFromStorage() };
    manifestRead = read;
    read.manifest.catch(() => {
      if (manifestRead === read) manifestRead = null;
    });
  }
  return manifestRead.manifest;
}

interface ServerState {
  models: Map<string, { key: string; model: Promise<PoolModel> }>;
  pool: InferencePool;
  queue: InferenceQueue;
  startedAt: number;
}

/**
 * Enough line for a burst from a few pages (a tile run sends one request per tile) and no more than ~10 s of it.
 * As many requests run at once as there are inference threads, each to its end (one image, all its tiles).
 */
const QUEUE_LIMITS = { maxWaiting: 64, maxWaitMs: 10_000 };

const globalState = globalThis as unknown as { __autoencoderServerModels?: ServerState };
const state: ServerState = (globalState.__autoencoderServerModels ??= (() => {
  const pool = new InferencePool(inferenceThreadCount());
  return { models: new Map(), pool, queue: new InferenceQueue({ ...QUEUE_LIMITS, concurrency: pool.size }), startedAt: Date.now() };
})());

/** The tfjs backend the inference threads run on ("wasm", or "cpu" where WASM could not start). */
export function serverBackend(): Promise<string> {
  return state.pool.backend();
}

/** The model's files from the model storage, each checked against its sha256 in the manifest, as tfjs loads them. */
async function verifiedLoad(manifest: Manifest, name: string, key: string): Promise<PoolModel> {
  const storage = getModelStorage();
  const { artifacts } = await modelArtifacts(manifest, name, async (file) => {
    const object = await storage.get(file.path);
    if (!object) throw new ModelIntegrityError(`${file.path} is missing from ${storage.describe()}`);
    if (object.sha256 !== file.sha256) throw new ModelIntegrityError(`${file.path} does not match its sha256 in the manifest (a model being replaced?)`);
    return object.bytes;
  });
  return { name, key, artifacts };
}

/** The named model's checked files and manifest entry, read once per process (and again after the manifest changes). */
async function verifiedModel(name: string): Promise<{ model: PoolModel; entry: ModelEntry }> {
  for (let attempt = 0; ; attempt++) {
    // A retry after a sha256 mismatch reads the manifest again: the files were being replaced under the old one.
    const manifest = await readManifestFile({ fresh: attempt > 0 });
    const entry = manifest.models[name];
    if (!entry || entry.format !== "layers-model") throw new Error(`the model manifest has no model "${name}"`);
    const key = entry.files.map((f) => f.sha256).join(",");
    let cached = state.models.get(name);
    if (!cached || cached.key !== key) {
      cached = { key, model: verifiedLoad(manifest, name, key) };
      state.models.set(name, cached);
    }
    try {
      return { model: await cached.model, entry };
    } catch (error) {
      if (state.models.get(name) === cached) state.models.delete(name);
      if (!(error instanceof ModelIntegrityError) || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export interface ServerModel {
  entry: ModelEntry;
  backend: string;
}

/**
 * The named model, its files checked and loaded in an inference thread: the first call warms the server up (when
 * every thread is busy with requests, the load waits for one in the background, and this does not wait). Its
 * manifest entry, and the backend it runs on.
 */
export async function getServerModel(name: string): Promise<ServerModel> {
  const backend = await serverBackend();
  const { model, entry } = await verifiedModel(name);
  await state.pool.warm(model);
  return { entry, backend };
}

/** What a route answers with beside its result: which backend and model version ran it, and how long it took. */
export interface ServerRun<T> {
  value: T;
  backend: string;
  ms: number;
  /** sha256 of the model's entry file: the deployed version. */
  sha256: string;
}

/** The model as a function of one input to all its outputs, run in an inference thread. */
export type ModelRunner = (input: TensorData) => Promise<TensorData[]>;

/** A denoised image's scores against its clean original (lib/metrics' denoisingScores), computed in an inference thread. */
export type ScoreRunner = (clean: PixelImage, noisy: PixelImage, denoised: PixelImage) => Promise<DenoisingScores>;

const hungUp = () => new ClientClosedError("The client closed the request while it ran; its work was stopped.");

/**
 * Runs `task` on the named model in its turn (runs start as inference threads come free), or refuses it (503) when
 * the line is full or slow. `client`, the request's signal, takes the request out of the line if its client hangs
 * up first, and stops its work if it hangs up while it runs: no model run starts after that (a tiled image stops
 * at the next tile), and the request ends with a ClientClosedError. `task` gets the model as a function of one
 * input to all its outputs, and the scores of a denoised image: whatever costs CPU time runs in an inference
 * thread, in the request's own turn.
 */
export function runOnServer<T>(
  name: string,
  task: (run: ModelRunner, entry: ModelEntry, score: ScoreRunner) => Promise<T>,
  client?: AbortSignal,
): Promise<ServerRun<T>> {
  return state.queue.run(async () => {
    const [backend, { model, entry }] = await Promise.all([serverBackend(), verifiedModel(name)]);
    const t0 = performance.now();
    const stillThere = () => {
      if (client?.aborted) throw hungUp();
    };
    const run: ModelRunner = async (input) => {
      stillThere();
      return state.pool.run(model, input);
    };
    const score: ScoreRunner = async (clean, noisy, denoised) => {
      stillThere();
      return state.pool.scores(clean, noisy, denoised);
    };
    let value: T;
    try {
      value = await task(run, entry, score);
    } catch (error) {
      throw client?.aborted ? hungUp() : error;
    }
    return { value, backend, ms: performance.now() - t0, sha256: describeModel(name, entry).sha256 };
  }, client);
}

export interface ServerLoad {
  pid: number;
  uptimeSeconds: number;
  waiting: number;
  running: number;
  /** Resident memory of the process, its inference threads included, bytes. */
  rssBytes: number;
  /** Live tfjs tensors in the inference threads: the models' weights, and nothing more between requests (a leak shows as growth). */
  tensors: number;
  /** Inference threads in this process. */
  threads: number;
}

/** For GET /api/health: which process this is, how long it has run, how busy it is, and what it holds. */
export function serverLoad(): ServerLoad {
  return {
    pid: process.pid,
    uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000),
    ...state.queue.load,
    rssBytes: process.memoryUsage.rss(),
    tensors: state.pool.tensors,
    threads: state.pool.size,
  };
}
