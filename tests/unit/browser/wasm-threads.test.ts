import { describe, expect, it, vi } from "vitest";
import { defaultWasmThreads, missingThreadSupport, parseThreadCount, planWasmThreads, withReportedCores } from "@/lib/browser/wasm-threads";

/**
 * How many threads the wasm backend starts with, and when it falls back to one (the browser side, with the
 * threaded build really running, is in tests/e2e/wasm-threads.spec.ts).
 */

const isolated = { SharedArrayBuffer, crossOriginIsolated: true };

describe("the wasm backend's threads", () => {
  it("are one per core, from 1 to tfjs' 8", () => {
    expect([undefined, 0, 1, 2, 4, 6, 16, NaN].map(defaultWasmThreads)).toEqual([1, 1, 1, 2, 4, 6, 8, 1]);
  });

  it("can be set by ?threads= from 1 to 8; anything else leaves it to the device", () => {
    expect(["1", "2", " 8 ", "08"].map(parseThreadCount)).toEqual([1, 2, 8, 8]);
    expect([null, "", "0", "9", "2.5", "-1", "x2", "1e1", "123"].map(parseThreadCount)).toEqual(Array(9).fill(null));
  });

  it("need an isolated page and SharedArrayBuffer, and say which is missing", () => {
    expect(missingThreadSupport(isolated)).toBeNull();
    expect(missingThreadSupport({ SharedArrayBuffer, crossOriginIsolated: false })).toBe("the page is not cross-origin isolated");
    // Chromium hides SharedArrayBuffer on a page that is not isolated: the isolation is the reason to give.
    expect(missingThreadSupport({})).toBe("the page is not cross-origin isolated");
    expect(missingThreadSupport({ crossOriginIsolated: true })).toBe("this browser gives no SharedArrayBuffer");
  });

  it("fall back to one, with the reason, where threads cannot run", () => {
    expect(planWasmThreads(undefined, 4, isolated)).toEqual({ threads: 4 });
    expect(planWasmThreads(2, 16, isolated)).toEqual({ threads: 2 });
    expect(planWasmThreads(undefined, 4, {})).toEqual({ threads: 1, singleThreadReason: "the page is not cross-origin isolated" });
    // One thread asked for, or one core: nothing fell back.
    expect(planWasmThreads(1, 4, { SharedArrayBuffer })).toEqual({ threads: 1 });
    expect(planWasmThreads(undefined, 1, {})).toEqual({ threads: 1 });
  });

  it("are shown to tfjs as a core count only while the backend starts", async () => {
    // As in a browser's worker: the count is a getter of WorkerNavigator's prototype.
    class WorkerNavigatorLike {
      get hardwareConcurrency() {
        return 2;
      }
    }
    vi.stubGlobal("navigator", new WorkerNavigatorLike());
    const real = navigator.hardwareConcurrency;
    const seen = await withReportedCores(real + 6, async () => navigator.hardwareConcurrency);
    expect(seen).toBe(real + 6);
    expect(navigator.hardwareConcurrency).toBe(real);
    await expect(withReportedCores(99, async () => Promise.reject(new Error("failed")))).rejects.toThrow("failed");
    expect(navigator.hardwareConcurrency).toBe(real);
    vi.unstubAllGlobals();
  });
});
