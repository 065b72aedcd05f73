import "server-only";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { describeModel, type Manifest, type ModelEntry, parseManifest } from "../manifest";
import { ModelIntegrityError, modelArtifacts } from "../model-artifacts";
import { runModel, type TensorData } from "../run-model";
import { InferenceQueue } from "./queue";
import { getModelStorage } from "./storage";

/**
 * Server-side models (Node only), read from the model storage (lib/server/storage: the repository's models/ folder, or
 * the configured Blob store) with every file checked against its sha256 in the manifest. tfjs runs on its WASM
 * backend (single-threaded; CPU if WASM cannot start), one instance of each model per process, reloaded when the
 * manifest names new files. Inference runs one request at a time, which bounds memory whatever the traffic, and
 * a request that cannot get its turn soon is answered 503 rather than left to pile up (runInference).
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
  backend: Promise<string> | null;
  models: Map<string, { key: string; model: Promise<LayersModel> }>;
  queue: InferenceQueue;
  startedAt: number;
}

/** Enough line for a burst from a few pages (a tile run sends one request per tile) and no more than ~10 s of it. */
const QUEUE_LIMITS = { maxWaiting: 64, maxWaitMs: 10_000 };

const globalState = globalThis as unknown as { __autoencoderServerModels?: ServerState };
const state: ServerState = (globalState.__autoencoderServerModels ??= {
  backend: null,
  models: new Map(),
  queue: new InferenceQueue(QUEUE_LIMITS),
  startedAt: Date.now(),
});

async function startBackend(): Promise<string> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    if (await tf.setBackend("wasm")) {
      await tf.ready();
      return "wasm";
    }
  } catch {
    // fall through to the CPU backend
  }
  await import("@tensorflow/tfjs-backend-cpu");
  await tf.setBackend("cpu");
  await tf.ready();
  return "cpu";
}

/** The tfjs backend the server runs on ("wasm", or "cpu" where WASM could not start). */
export function serverBackend(): Promise<string> {
  state.backend ??= startBackend().catch((error) => {
    state.backend = null;
    throw error;
  });
  return state.backend;
}

async function verifiedLoad(manifest: Manifest, name: string): Promise<LayersModel> {
  const storage = getModelStorage();
  const { artifacts } = await modelArtifacts(manifest, name, async (file) => {
    const object = await storage.get(file.path);
    if (!object) throw new ModelIntegrityError(`${file.path} is missing from ${storage.describe()}`);
    if (object.sha256 !== file.sha256) throw new ModelIntegrityError(`${file.path} does not match its sha256 in the manifest (a model being replaced?)`);
    return object.bytes;
  });
  return loadLayersModel({ load: async () => artifacts });
}

export interface ServerModel {
  model: LayersModel;
  entry: ModelEntry;
  backend: string;
}

/** The named model, loaded once per process (and again after the manifest changes). */
export async function getServerModel(name: string): Promise<ServerModel> {
  const backend = await serverBackend();
  for (let attempt = 0; ; attempt++) {
    // A retry after a sha256 mismatch reads the manifest again: the files were being replaced under the old one.
    const manifest = await readManifestFile({ fresh: attempt > 0 });
    const entry = manifest.models[name];
    if (!entry || entry.format !== "layers-model") throw new Error(`the model manifest has no model "${name}"`);
    const key = entry.files.map((f) => f.sha256).join(",");
    let cached = state.models.get(name);
    if (!cached || cached.key !== key) {
      const previous = cached;
      cached = { key, model: verifiedLoad(manifest, name) };
      state.models.set(name, cached);
      previous?.model.then((m) => m.dispose()).catch(() => {});
    }
    try {
      return { model: await cached.model, entry, backend };
    } catch (error) {
      if (state.models.get(name) === cached) state.models.delete(name);
      if (!(error instanceof ModelIntegrityError) || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

/** What a route answers with beside its result: which backend and model version ran it, and how long it took. */
export interface ServerRun<T> {
  value: T;
  backend: string;
  ms: number;
  /** sha256 of the model's entry file: the deployed version. */
  sha256: string;
}

/**
 * Runs `task` on the named model in its turn: after every earlier one has finished (one inference at a time per
 * process), or refused (503) when the line is full or slow; `client`, the request's signal, takes it out of the
 * line if its client hangs up first. `task` gets the model as a function of one input to all its outputs.
 */
export function runOnServer<T>(
  name: string,
  task: (run: (input: TensorData) => Promise<TensorData[]>, entry: ModelEntry) => Promise<T>,
  client?: AbortSignal,
): Promise<ServerRun<T>> {
  return state.queue.run(async () => {
    const { model, entry, backend } = await getServerModel(name);
    const t0 = performance.now();
    const value = await task((input) => runModel(model, input), entry);
    return { value, backend, ms: performance.now() - t0, sha256: describeModel(name, entry).sha256 };
  }, client);
}

export interface ServerLoad {
  pid: number;
  uptimeSeconds: number;
  waiting: number;
  running: number;
  /** Resident memory of the process, bytes. */
  rssBytes: number;
  /** Live tfjs tensors: the models' weights, and nothing more between requests (a leak shows as growth). */
  tensors: number;
}

/** For GET /api/health: which process this is, how long it has run, how busy it is, and what it holds. */
export function serverLoad(): ServerLoad {
  return {
    pid: process.pid,
    uptimeSeconds: Math.round((Date.now() - state.startedAt) / 1000),
    ...state.queue.load,
    rssBytes: process.memoryUsage.rss(),
    tensors: tf.memory().numTensors,
  };
}

