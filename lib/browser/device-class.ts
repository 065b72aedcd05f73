import type { BackendName } from "./backends";

/**
 * Which default backend order suits this device, from what its graphics APIs say about themselves.
 *
 * Measured on a 2-core CPU without a GPU, where Chromium's WebGPU and WebGL run on SwiftShader (software), with
 * `npm run bench` (README, "Performance"): one 64x64 face takes 1,312 ms on WebGPU, 363 ms on WebGL, 261 ms in
 * plain JavaScript and 15 ms in WebAssembly; navigation to the first denoised face 4.9 s, 2.0 s, 1.6 s and 1.1 s.
 * A software GPU is the slowest way to run these small models, so on such a device WebAssembly leads. With a real
 * GPU the GPU backends lead, as they are built for it.
 */

export type DeviceClass = "gpu" | "cpu-only";

/** Renderer names of software rasterisers: Chrome's SwiftShader, Mesa's llvmpipe/softpipe/lavapipe, Windows WARP. */
const SOFTWARE_RENDERER = /swiftshader|llvmpipe|softpipe|lavapipe|software|basic render/i;

export interface GraphicsReport {
  /** WebGL's (unmasked) renderer string, or null without WebGL. */
  webglRenderer: string | null;
  /** The WebGPU adapter's self-description, or null without an adapter. */
  webgpuAdapter: { description: string; fallback: boolean } | null;
}

export const DEFAULT_CHAINS: Record<DeviceClass, BackendName[]> = {
  gpu: ["webgpu", "webgl", "wasm", "cpu", "server"],
  // The server stays last everywhere: the page promises not to send a photo away while the device can run the model.
  "cpu-only": ["wasm", "cpu", "webgpu", "webgl", "server"],
};

/** A device has a GPU when either API reports hardware; with only software renderers, or none, it is CPU-only. */
export function classifyDevice({ webglRenderer, webgpuAdapter }: GraphicsReport): DeviceClass {
  const hardwareGl = webglRenderer !== null && !SOFTWARE_RENDERER.test(webglRenderer);
  const hardwareGpu = webgpuAdapter !== null && !webgpuAdapter.fallback && !SOFTWARE_RENDERER.test(webgpuAdapter.description);
  return hardwareGl || hardwareGpu ? "gpu" : "cpu-only";
}

function readWebglRenderer(): string | null {
  try {
    const gl = document.createElement("canvas").getContext("webgl2") ?? document.createElement("canvas").getContext("webgl");
    if (!gl) return null;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return renderer;
  } catch {
    return null;
  }
}

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

async function readWebgpuAdapter(): Promise<GraphicsReport["webgpuAdapter"]> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  if (!adapter) return null;
  const info = adapter.info ?? {};
  return {
    description: [info.vendor, info.architecture, info.description].filter(Boolean).join(" "),
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}

/**
 * Asks the browser (main thread) what graphics it has. WebGL answers in a few milliseconds and settles it when it
 * exists (a browser whose WebGL is software has no hardware WebGPU either); only without WebGL is WebGPU asked,
 * since requesting an adapter can take a hundred milliseconds and more.
 */
export async function detectDeviceClass(): Promise<{ deviceClass: DeviceClass; report: GraphicsReport }> {
  const webglRenderer = readWebglRenderer();
  const report = { webglRenderer, webgpuAdapter: webglRenderer === null ? await readWebgpuAdapter() : null };
  return { deviceClass: classifyDevice(report), report };
}
