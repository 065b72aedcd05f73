// No `import "server-only"` here, unlike the rest of lib/server/: this file is the entry of a worker thread, which
// Next bundles outside its server layer (where the marker resolves to its throwing build), and which the unit tests
// start without Vitest's alias for it. Only inference-pool.ts (server-only) starts it.
import { parentPort } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { errorMessage } from "../errors";
import { runModel, type TensorData } from "../run-model";

/**
 * One inference thread of the server (inference-pool.ts keeps a few per process): tfjs on its WASM backend
 * (single-threaded; CPU if WASM cannot start), the models it is sent loaded once and kept until their files
 * change. The process's event loop never runs a model: it reads and checks the model files, sends them here once,
 * then sends one model input at a time and gets the outputs back.
 *
 * The messages (the pool sends one at a time, and waits for the answer before the next):
 *   first, unasked:  { type: "started", backend } or { type: "failed", error }
 *   load  { id, type: "load", name, key, artifacts }  -> { id, ok: true, tensors }
 *   run   { id, type: "run", name, key, input }       -> { id, ok: true, outputs, tensors }
 * and { id, ok: false, error, tensors } when a request fails.
 */

export type WorkerRequest =
  | { id: number; type: "load"; name: string; key: string; artifacts: tf.io.ModelArtifacts }
  | { id: number; type: "run"; name: string; key: string; input: TensorData };

export type WorkerStart = { type: "started"; backend: string } | { type: "failed"; error: string };

/** `tensors`: live tfjs tensors in this thread after the request (the models' weights, and nothing more). */
export type WorkerReply = { id: number; ok: true; outputs?: TensorData[]; tensors: number } | { id: number; ok: false; error: string; tensors: number };

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

/** The models this thread holds, by name, with the key (their files' sha256s) they were loaded from. */
const models = new Map<string, { key: string; model: LayersModel }>();

async function load(name: string, key: string, artifacts: tf.io.ModelArtifacts): Promise<void> {
  if (models.get(name)?.key === key) return;
  const model = await loadLayersModel({ load: async () => artifacts });
  models.get(name)?.model.dispose();
  models.set(name, { key, model });
}

function loaded(name: string, key: string): LayersModel {
  const held = models.get(name);
  if (held?.key !== key) throw new Error(`model "${name}" (${key.slice(0, 12)}) is not loaded in this thread`);
  return held.model;
}

async function answer(request: WorkerRequest): Promise<WorkerReply> {
  try {
    if (request.type === "load") {
      await load(request.name, request.key, request.artifacts);
      return { id: request.id, ok: true, tensors: tf.memory().numTensors };
    }
    const outputs = await runModel(loaded(request.name, request.key), request.input);
    return { id: request.id, ok: true, outputs, tensors: tf.memory().numTensors };
  } catch (error) {
    return { id: request.id, ok: false, error: errorMessage(error), tensors: tf.memory().numTensors };
  }
}

const port = parentPort;
if (!port) throw new Error("inference-worker.ts runs as a worker thread (inference-pool.ts starts it)");
const backend = startBackend();
backend.then(
  (name) => port.postMessage({ type: "started", backend: name } satisfies WorkerStart),
  (error: unknown) => port.postMessage({ type: "failed", error: errorMessage(error) } satisfies WorkerStart),
);
port.on("message", async (request: WorkerRequest) => {
  const reply = await backend.then(
    () => answer(request),
    (): WorkerReply => ({ id: request.id, ok: false, error: "no tfjs backend could start in this thread", tensors: 0 }),
  );
  // The outputs' buffers move to the process rather than being copied.
  const buffers = new Set(reply.ok ? (reply.outputs ?? []).map((o) => o.data.buffer as ArrayBuffer) : []);
  port.postMessage(reply, [...buffers]);
});
