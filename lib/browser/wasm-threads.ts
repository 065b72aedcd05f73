/**
 * Threads for tfjs' WebAssembly backend: its XNNPACK kernels on a pool of pthread workers, started from inside the
 * inference worker. Three things stand between tfjs and its threads in this app, and this file handles each:
 *
 * 1. Threads share memory, and browsers hand out SharedArrayBuffer only to cross-origin isolated pages (COOP and
 *    COEP headers: lib/security-headers.ts). Without it, the backend runs on one thread and says why
 *    (`singleThreadReason`).
 * 2. tfjs starts each pthread worker from the source text of its Emscripten factory, `factory.toString()`. Inside
 *    the Next bundle that text is the bundler's rewrite, in which the factory's `process` has become a variable of
 *    the bundle (Next's polyfill), which a pthread worker does not have: every worker throws "r is not defined" and
 *    `setBackend` never settles. The workers load the factory's original file instead, served beside the .wasm
 *    binaries (scripts/copy-tfjs-wasm.mjs); the inference worker itself keeps running the bundled copy.
 * 3. tfjs sizes its pool from navigator.hardwareConcurrency / 2 (it assumes two hyperthreads per core) and caps any
 *    `setThreadsCount` there silently: one thread on a 2-core device. The inference worker shows tfjs a core count
 *    that allows the count chosen here while the backend starts, and reads back the pool's real size.
 */

/** The most threads tfjs' threaded build uses: its pool starts 8 pthread workers, and it caps the count there. */
export const MAX_WASM_THREADS = 8;

/** The file the pthread workers load (copied there from tfjs-backend-wasm/wasm-out by scripts/copy-tfjs-wasm.mjs). */
export const THREADED_FACTORY_FILE = "tfjs-backend-wasm-threaded-simd.js";

/** How the wasm backend runs: its thread count, and why it is one where more were wanted. */
export interface WasmThreading {
  threads: number;
  singleThreadReason?: string;
}

/**
 * Threads for a device with `cores` logical cores: one per core, up to tfjs' 8. The inference worker takes part in
 * the work (it is one of the pool's threads), and the page's own thread only waits meanwhile. Measured on 2 cores:
 * docs/performance.md.
 */
export function defaultWasmThreads(cores: number | undefined): number {
  return clampThreads(cores ?? 1);
}

function clampThreads(n: number): number {
  return Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(Number.isFinite(n) ? n : 1)));
}

/** `?threads=` from a page's URL: a whole number from 1 to 8, or null (the device decides). */
export function parseThreadCount(text: string | null | undefined): number | null {
  if (!text || !/^\d{1,2}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= 1 && n <= MAX_WASM_THREADS ? n : null;
}

/** Why this context cannot run WebAssembly threads, or null when it can. */
export function missingThreadSupport(scope: { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean } = globalThis): string | null {
  // Browsers that know isolation hide SharedArrayBuffer without it: ask about isolation first.
  if (scope.crossOriginIsolated !== true) return "the page is not cross-origin isolated";
  if (typeof scope.SharedArrayBuffer !== "function") return "this browser gives no SharedArrayBuffer";
  return null;
}

/** The threads to start with: `requested` (or the device's count), down to one where threads cannot run. */
export function planWasmThreads(requested: number | undefined, cores: number | undefined, scope?: Parameters<typeof missingThreadSupport>[0]): WasmThreading {
  const threads = requested === undefined ? defaultWasmThreads(cores) : clampThreads(requested);
  if (threads === 1) return { threads };
  const missing = missingThreadSupport(scope);
  return missing ? { threads: 1, singleThreadReason: missing } : { threads };
}

type Factory = ((config: unknown) => Promise<unknown>) & { toString(): string };

/**
 * Points the pthread workers at the factory's original file (see 2. above). tfjs builds each worker's script as
 * `var WasmBackendModuleThreadedSimd = ` + `factory.toString()`; the text given here loads the file, which
 * defines that global, and hands it on. The bundled module is the one tfjs imports (same file, same module).
 */
export async function serveThreadedFactory(wasmPrefix: string): Promise<void> {
  const imported = (await import("@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js")) as unknown as { default?: Factory };
  const factory = (imported.default ?? imported) as Factory;
  const url = JSON.stringify(new URL(THREADED_FACTORY_FILE, wasmPrefix).href);
  factory.toString = () => `(() => { importScripts(${url}); return WasmBackendModuleThreadedSimd; })()`;
}

/**
 * Runs `start` (the backend's start-up) while this worker's navigator reports `cores` logical cores, so that
 * tfjs' cap (half the reported cores) allows the threads we ask for (see 3. above); the real value is back after.
 */
export async function withReportedCores<T>(cores: number, start: () => Promise<T>): Promise<T> {
  const navigator = globalThis.navigator;
  Object.defineProperty(navigator, "hardwareConcurrency", { value: cores, configurable: true });
  try {
    return await start();
  } finally {
    delete (navigator as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}
