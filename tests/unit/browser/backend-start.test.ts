import { describe, expect, it, vi } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "@/lib/browser/backends";

/**
 * A backend that cannot start says why: tfjs' setBackend swallows the start-up error (it only warns it and returns
 * false), and the page's reason would be a bare "not available". Here the wasm backend's binary cannot be found.
 */

describe("initBackend", () => {
  it("names the start-up error of a backend that fails", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const started = initBackend(tf, "wasm", { wasmPrefix: "/nonexistent/tfjs-wasm/" });
    await expect(started).rejects.toThrow(/^wasm is not available here \(.+\)$/);
    await expect(started).rejects.toThrow(/nonexistent|ENOENT|fetch/i);
    vi.restoreAllMocks();
  });
});
