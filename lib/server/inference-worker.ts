// No `import "server-only"` here, unlike the rest of lib/server/: this file is the entry of a worker thread, which
// Next bundles outside its server layer (where the marker resolves to its throwing build), and which the unit tests
// start without Vitest's alias for it. Only inference-pool.ts (server-only) starts it.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint, { type NodeEndpoint } from "comlink/dist/umd/node-adapter.js";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import type { PixelImage } from "../image";
import { type DenoisingScores, denoisingScores } from "../metrics";
import { runModel, type TensorData } from "../run-model";

/**
 * One inference thread of the server (inference-pool.ts keeps a few per process, and calls it through Comlink, as
 * the page calls its own worker): tfjs on its WASM backend (single-threaded; CPU if WASM cannot start), each model
 * it is sent loaded once and kept until its files change. The process's event loop never runs a model: it reads and
 * checks the model files, sends them here once, then sends one model input at a time and takes the outputs back.
 * A JSON answer's scores (PSNR, SSIM: under a second at the budget's 500x500) are computed here too.
 */

async function startBackend(): Promise<string> {
  try {
    // Also registers the stock wasm kernels, which our faster ones (the DAE's transposed convolution) build on.
    const { registerWasmKernels } = await import("../wasm-kernels");
    registerWasmKernels();
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

/** A model run's outputs, in the model's order, and the thread's live tensors after it (the models' weights only). */
export interface ThreadRun {
  outputs: TensorData[];
  tensors: number;
}

export class ModelThread {
  private readonly backend = startBackend();
  /** The models this thread holds, by name, with the key (their files' sha256s) they were loaded from. */
  private readonly models = new Map<string, { key: string; model: LayersModel }>();

  constructor() {
    // A backend that cannot start is reported by started(), not as an unhandled rejection that ends the thread.
    this.backend.catch(() => {});
  }

  /** The tfjs backend this thread runs on, once it has started. */
  started(): Promise<string> {
    return this.backend;
  }

  /** Loads the model unless this thread holds it already, replacing an older one of that name; its live tensors after. */
  async load(name: string, key: string, artifacts: tf.io.ModelArtifacts): Promise<number> {
    await this.backend;
    if (this.models.get(name)?.key !== key) {
      const model = await loadLayersModel({ load: async () => artifacts });
      this.models.get(name)?.model.dispose();
      this.models.set(name, { key, model });
    }
    return tf.memory().numTensors;
  }

  async run(name: string, key: string, input: TensorData): Promise<ThreadRun> {
    const held = this.models.get(name);
    if (held?.key !== key) throw new Error(`model "${name}" (${key.slice(0, 12)}) is not loaded in this thread`);
    const outputs = await runModel(held.model, input);
    // The outputs' buffers move to the process rather than being copied.
    const buffers = [...new Set(outputs.map((o) => o.data.buffer as ArrayBuffer))];
    return Comlink.transfer({ outputs, tensors: tf.memory().numTensors }, buffers);
  }

  /** A denoised image's scores (lib/metrics): plain arithmetic, but about a second of it at full resolution. */
  scores(clean: PixelImage, noisy: PixelImage, denoised: PixelImage): DenoisingScores {
    return denoisingScores(clean, noisy, denoised);
  }
}

if (!parentPort) throw new Error("inference-worker.ts runs as a worker thread (inference-pool.ts starts it)");
Comlink.expose(new ModelThread(), nodeEndpoint(parentPort as unknown as NodeEndpoint));
