import { describe, expect, it } from "vitest";
import { parseBackendList } from "@/lib/browser/backends";
import { classifyDevice, DEFAULT_CHAINS } from "@/lib/browser/device-class";

describe("classifyDevice", () => {
  const gpu = { description: "nvidia ampere", fallback: false };
  it("calls a device with a hardware renderer a GPU device", () => {
    expect(classifyDevice({ webglRenderer: "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)", webgpuAdapter: null })).toBe("gpu");
    expect(classifyDevice({ webglRenderer: "Apple M2", webgpuAdapter: { description: "apple metal-3", fallback: false } })).toBe("gpu");
    expect(classifyDevice({ webglRenderer: null, webgpuAdapter: gpu })).toBe("gpu");
  });

  it("calls a device with only software renderers, or none, CPU-only", () => {
    const swiftShader = "ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)";
    expect(classifyDevice({ webglRenderer: swiftShader, webgpuAdapter: { description: "google swiftshader", fallback: false } })).toBe("cpu-only");
    expect(classifyDevice({ webglRenderer: "llvmpipe (LLVM 15.0.6, 256 bits)", webgpuAdapter: null })).toBe("cpu-only");
    expect(classifyDevice({ webglRenderer: "Microsoft Basic Render Driver", webgpuAdapter: null })).toBe("cpu-only");
    expect(classifyDevice({ webglRenderer: null, webgpuAdapter: { description: "", fallback: true } })).toBe("cpu-only");
    expect(classifyDevice({ webglRenderer: null, webgpuAdapter: null })).toBe("cpu-only");
  });

  it("orders every backend once per class, the server last, WASM first without a GPU", () => {
    for (const chain of Object.values(DEFAULT_CHAINS)) {
      expect(new Set(chain).size).toBe(5);
      expect(chain.at(-1)).toBe("server");
    }
    expect(DEFAULT_CHAINS["cpu-only"][0]).toBe("wasm");
    expect(DEFAULT_CHAINS.gpu.slice(0, 2)).toEqual(["webgpu", "webgl"]);
  });
});

describe("parseBackendList", () => {
  it("keeps known names in order, once", () => {
    expect(parseBackendList("webgl,WASM,server,webgl,bogus")).toEqual(["webgl", "wasm", "server"]);
    expect(parseBackendList("")).toBeNull();
    expect(parseBackendList("bogus")).toBeNull();
    expect(parseBackendList(null)).toBeNull();
  });
});
