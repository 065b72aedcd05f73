import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { finishedDespiteDawnTeardown, runCommand } from "../../helpers/run-command";

/**
 * The webgpu Conv2DBackpropFilter override against the cpu backend, on SwiftShader (Chromium's CPU Vulkan driver):
 * the check runs in a child process, since the webgpu backend needs Dawn's globals set up before it loads.
 */

const CHROMIUM_LIBS = "/usr/lib/chromium";
const SWIFTSHADER_ICD = `${CHROMIUM_LIBS}/vk_swiftshader_icd.json`;
const hasSwiftShader = existsSync(SWIFTSHADER_ICD);

describe.skipIf(!hasSwiftShader)("webgpu training kernels (SwiftShader)", () => {
  it("Conv2DBackpropFilter equals the cpu backend's, for strides 1 and 2, same and valid padding, and leaks nothing", { timeout: 300_000 }, async () => {
    const run = await runCommand(process.execPath, ["--import", "tsx", "tests/helpers/check-webgpu-kernels.ts"], {
      env: { ...process.env, LD_LIBRARY_PATH: CHROMIUM_LIBS, VK_ICD_FILENAMES: SWIFTSHADER_ICD },
    });
    expect(finishedDespiteDawnTeardown(run), run.stderr).toBe(true);
    const results = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "[]") as { name: string; relativeError: number; leaked: number }[];
    expect(results.length).toBe(5);
    for (const r of results) {
      expect(r.relativeError, r.name).toBeLessThan(1e-4);
      expect(r.leaked, r.name).toBe(0);
    }
  });
});
