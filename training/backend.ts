/**
 * Picks the fastest TensorFlow.js backend this machine can run for training in Node.
 *
 * Order: tensorflow (libtensorflow through @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node; optional
 * dependencies that are often absent), webgpu (Dawn through the `webgpu` package, only with a real GPU adapter),
 * wasm (XNNPACK, with our training kernel overrides), cpu (plain JavaScript, slowest by far).
 */
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import * as tf from "@tensorflow/tfjs";
import { registerWasmKernels } from "../lib/wasm-kernels";
import { registerWebGpuTrainingKernels } from "./kernels/webgpu-overrides";
import { errorMessage } from "../lib/errors";

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

const AUTOMATIC_ORDER: readonly BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];

// Package names in variables so TypeScript does not require these optional dependencies to be installed.
const TFJS_NODE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"];

/**
 * Initialises a backend and makes it the active one; returns its one-line description or throws why not.
 * `requested` is true when the user named the backend: then a software GPU adapter (SwiftShader) is accepted, which
 * is slow but lets the GPU code path be tested on a machine without a GPU.
 */
type Initialiser = (requested: boolean) => Promise<string>;

const INITIALISERS: Record<BackendName, Initialiser> = {
  tensorflow: initTensorflow,
  webgpu: initWebGpu,
  wasm: initWasm,
  cpu: initCpu,
};

const descriptions = new Map<BackendName, string>();

/**
 * Activates `requested`, or else the first backend in AUTOMATIC_ORDER that initialises, and returns the name of the
 * backend now active. A requested backend that cannot initialise throws an Error saying why.
 */
export async function selectBackend(requested?: BackendName): Promise<BackendName> {
  if (requested !== undefined) {
    await activate(requested, true);
    return requested;
  }
  for (const name of AUTOMATIC_ORDER) {
    try {
      await activate(name, false);
      return name;
    } catch {
      // Not available here: try the next one.
    }
  }
  throw new Error("no TensorFlow.js backend could be initialised");
}

/** One line about a backend selectBackend activated, e.g. "wasm (SIMD, 1 thread, with training kernel overrides)". */
export function describeBackend(name: BackendName): string {
  return descriptions.get(name) ?? name;
}

async function activate(name: BackendName, requested: boolean): Promise<void> {
  try {
    descriptions.set(name, await INITIALISERS[name](requested));
  } catch (error) {
    throw new Error(`backend '${name}' cannot be used: ${firstLine(error)}`);
  }
}

function firstLine(error: unknown): string {
  const message = errorMessage(error);
  return message.split("\n")[0];
}

async function setBackendOrThrow(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed to initialise it`);
  await tf.ready();
}

async function initTensorflow(): Promise<string> {
  for (const packageName of TFJS_NODE_PACKAGES) {
    // Registers the 'tensorflow' backend with the @tensorflow/tfjs engine it depends on, which is ours.
    if (await importIfInstalled(packageName)) {
      await setBackendOrThrow("tensorflow");
      return `tensorflow (${packageName})`;
    }
  }
  throw new Error(`neither ${TFJS_NODE_PACKAGES.join(" nor ")} is installed`);
}

async function importIfInstalled(packageName: string): Promise<boolean> {
  try {
    await import(packageName);
    return true;
  } catch (error) {
    if (isModuleNotFound(error)) return false;
    throw error;
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

interface AdapterDetails {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

const GPU_PROBE_TIMEOUT_MS = 30_000;

/** Prints {"adapter": false} or {"adapter": true, "fallback": boolean}; argv[1] is the webgpu package's URL. */
const GPU_PROBE_SCRIPT = `
const { create } = await import(process.argv[1]);
const adapter = await create([]).requestAdapter({ powerPreference: "high-performance" });
const fallback = Boolean(adapter?.isFallbackAdapter || adapter?.info?.isFallbackAdapter);
process.stdout.write(JSON.stringify(adapter === null ? { adapter: false } : { adapter: true, fallback }));
process.exit(0);
`;

/**
 * Asks Dawn for a hardware GPU adapter in a child process, and throws why not if there is none. Dawn writes a
 * warning with a native stack for every GPU API it cannot load straight to stderr, and a GPU driver can crash or
 * hang: on a machine without a GPU none of that should reach, or stop, the trainer.
 */
function assertGpuAdapterExists(acceptSoftware: boolean): void {
  const webgpuUrl = pathToFileURL(createRequire(import.meta.url).resolve("webgpu")).href;
  const probe = spawnSync(process.execPath, ["--input-type=module", "-e", GPU_PROBE_SCRIPT, webgpuUrl], {
    encoding: "utf8",
    timeout: GPU_PROBE_TIMEOUT_MS,
  });
  let verdict: { adapter: boolean; fallback?: boolean };
  try {
    verdict = JSON.parse(probe.stdout ?? "");
  } catch {
    const lastError = probe.stderr?.trim().split("\n").at(-1);
    throw new Error(`probing Dawn for a GPU failed (${probe.error?.message ?? lastError ?? `exit ${probe.status}`})`);
  }
  if (!verdict.adapter) throw new Error("Dawn found no GPU adapter");
  if (verdict.fallback && !acceptSoftware) throw new Error("Dawn found only a software fallback adapter");
}

/** Set once per process: a second Dawn instance beside the first crashes it (a mutex assertion). */
let webgpuDescription: string | undefined;

/** Whether Dawn finds a hardware GPU adapter here (not a software one such as SwiftShader); asked in a child process. */
export function hasHardwareGpu(): boolean {
  try {
    assertGpuAdapterExists(false);
    return true;
  } catch {
    return false;
  }
}

async function initWebGpu(requested: boolean): Promise<string> {
  if (webgpuDescription !== undefined) {
    await setBackendOrThrow("webgpu");
    return webgpuDescription;
  }
  assertGpuAdapterExists(requested);
  const { create, globals } = await import("webgpu");
  const gpu = create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (adapter === null) throw new Error("Dawn found no GPU adapter");
  // tfjs-backend-webgpu registers itself on import only if navigator.gpu exists, and its kernels use the WebGPU
  // globals (GPUBufferUsage, ...) that a browser would provide.
  Object.assign(globalThis, globals);
  exposeAsNavigatorGpu(gpu);
  await import("@tensorflow/tfjs-backend-webgpu");
  registerWebGpuTrainingKernels();
  await setBackendOrThrow("webgpu");
  webgpuDescription = `webgpu (${describeAdapter(await adapterDetails(adapter))}, with a matmul Conv2DBackpropFilter)`;
  return webgpuDescription;
}

/** Adapter info: the `info` attribute in current WebGPU, `requestAdapterInfo()` in older implementations. */
async function adapterDetails(adapter: GPUAdapter): Promise<AdapterDetails> {
  const current = (adapter as GPUAdapter & { info?: AdapterDetails }).info;
  return current ?? (await adapter.requestAdapterInfo?.()) ?? {};
}

function describeAdapter(details: AdapterDetails): string {
  const parts = [details.vendor, details.architecture, details.device, details.description];
  return parts.filter((part) => part !== undefined && part !== "").join(", ") || "unknown adapter";
}

function exposeAsNavigatorGpu(gpu: GPU): void {
  const global = globalThis as { navigator?: object };
  global.navigator ??= {};
  Object.defineProperty(global.navigator, "gpu", { value: gpu, configurable: true });
}

async function initWasm(): Promise<string> {
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  // The multithreaded build needs browser-style Web Workers; Node runs the single-threaded SIMD build.
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  registerWasmKernels();
  await setBackendOrThrow("wasm");
  const simd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) ? "SIMD" : "no SIMD";
  const threads = wasm.getThreadsCount();
  return `wasm (${simd}, ${threads} thread${threads === 1 ? "" : "s"}, with training kernel overrides)`;
}

async function initCpu(): Promise<string> {
  await setBackendOrThrow("cpu");
  return "cpu (plain JavaScript)";
}
