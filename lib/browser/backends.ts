import type * as tfc from "@tensorflow/tfjs-core";
import { errorMessage } from "../errors";
import { planWasmThreads, serveThreadedFactory, type WasmThreading, withReportedCores } from "./wasm-threads";

/**
 * The inference backends, best first, and how to start each one. Backend packages are imported only when their
 * turn comes, so a browser without WebGPU never loads (or trips over) the WebGPU backend, and a page that gets
 * WebGL never downloads the WASM one. Generic: nothing here knows about a particular model.
 */

export const CLIENT_BACKENDS = ["webgpu", "webgl", "wasm", "cpu"] as const;
export type ClientBackend = (typeof CLIENT_BACKENDS)[number];
/** Everything a page can end up on: the client backends, then the server route. */
export const ALL_BACKENDS = [...CLIENT_BACKENDS, "server"] as const;
export type BackendName = (typeof ALL_BACKENDS)[number];

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: "WebGPU (GPU)",
  webgl: "WebGL (GPU)",
  wasm: "WebAssembly (CPU)",
  cpu: "JavaScript (CPU)",
  server: "Server",
};

export function isClientBackend(name: string): name is ClientBackend {
  return (CLIENT_BACKENDS as readonly string[]).includes(name);
}

export function isBackendName(name: string): name is BackendName {
  return (ALL_BACKENDS as readonly string[]).includes(name);
}

/**
 * Parses a backend list such as `webgl,wasm,server` (the `?backends=` URL parameter): known names in the order
 * given, duplicates dropped. Returns null when nothing usable is given, meaning "the default chain".
 */
export function parseBackendList(text: string | null | undefined): BackendName[] | null {
  if (!text) return null;
  const names = text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(isBackendName);
  const unique = [...new Set(names)];
  return unique.length > 0 ? unique : null;
}

/** One backend the chain tried, and why it was passed over. */
export interface BackendAttempt {
  backend: BackendName;
  ok: boolean;
  error?: string;
}

export interface BackendInitOptions {
  /** Absolute URL of the folder holding tfjs' .wasm binaries (served by the app, never a CDN), with its final slash. */
  wasmPrefix: string;
  /** Threads for the wasm backend; by default one per core (lib/browser/wasm-threads.ts). */
  wasmThreads?: number;
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/**
 * Makes `name` the active tfjs backend, or throws with a readable reason. `tf` must be the same tfjs-core module
 * the backend packages register themselves with (one bundle, one module instance). For wasm, resolves to how many
 * threads it runs on (and why one, where more were wanted).
 */
export async function initBackend(tf: typeof tfc, name: ClientBackend, options: BackendInitOptions): Promise<WasmThreading | undefined> {
  let start = () => tf.setBackend(name);
  let threading: WasmThreading | undefined;
  switch (name) {
    case "webgpu": {
      const gpu = (globalThis.navigator as unknown as { gpu?: GpuLike } | undefined)?.gpu;
      if (!gpu) throw new Error("WebGPU is not available in this browser");
      const adapter = await gpu.requestAdapter().catch(() => null);
      if (!adapter) throw new Error("WebGPU found no GPU adapter");
      await import("@tensorflow/tfjs-backend-webgpu");
      break;
    }
    case "webgl": {
      await import("@tensorflow/tfjs-backend-webgl");
      break;
    }
    case "wasm": {
      if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available in this browser");
      const wasm = await import("@tensorflow/tfjs-backend-wasm");
      // The stock transposed convolution is a naive loop: the DAE's way back up runs 4x faster through these.
      const { registerWasmKernels } = await import("../wasm-kernels");
      registerWasmKernels();
      try {
        wasm.setWasmPaths(options.wasmPrefix);
      } catch {
        // Already initialised (or failed) once in this worker; the paths were set then.
      }
      threading = planWasmThreads(options.wasmThreads, globalThis.navigator?.hardwareConcurrency);
      const { threads } = threading;
      if (threads > 1) {
        // Both before setBackend: tfjs reads them when the backend starts, and ignores later changes.
        await serveThreadedFactory(options.wasmPrefix);
        wasm.setThreadsCount(threads);
        start = () => withReportedCores(2 * threads, () => tf.setBackend(name));
      } else {
        // The single-threaded build: no pthread workers started for nothing.
        tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
      }
      break;
    }
    case "cpu": {
      await import("@tensorflow/tfjs-backend-cpu");
      break;
    }
  }
  let started: { ok: boolean; warnings: string[] };
  try {
    started = await collectingWarnings(start);
  } catch (error) {
    throw new Error(`${name} failed to start: ${errorMessage(error)}`);
  }
  if (!started.ok) {
    // tfjs warns the start-up error ("Initialization of backend wasm failed", then the error), and returns false.
    const cause = started.warnings.find((warning) => !/^Initialization of backend/.test(warning))?.split("\n")[0];
    throw new Error(`${name} is not available here${cause ? ` (${cause})` : ""}`);
  }
  await tf.ready();
  if (name === "wasm" && threading && threading.threads > 1) {
    // The pool tfjs really started: one thread where the browser lacks WebAssembly threads despite isolation.
    const { getThreadsCount } = await import("@tensorflow/tfjs-backend-wasm");
    const actual = Math.max(1, getThreadsCount());
    if (actual !== threading.threads) {
      threading = { threads: actual, singleThreadReason: `this browser runs no WebAssembly threads (tfjs started ${actual} of ${threading.threads})` };
    }
  }
  return threading;
}

/** Runs `start`, and collects what it warns through console.warn meanwhile (passing it on). */
async function collectingWarnings(start: () => Promise<boolean>): Promise<{ ok: boolean; warnings: string[] }> {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    warnings.push(args.map((arg) => (arg instanceof Error ? (arg.stack ?? arg.message) : String(arg))).join(" "));
    warn(...args);
  };
  try {
    return { ok: await start(), warnings };
  } finally {
    console.warn = warn;
  }
}
