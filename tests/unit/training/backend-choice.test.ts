import { describe, expect, it } from "vitest";
import { runCommand } from "../../helpers/run-command";

/**
 * Which training backend the command picks, in child processes whose environment the test sets, so the result does
 * not depend on this machine: tfjs-node hidden (tests/helpers/without-tfjs-node.mjs) and Vulkan pointed at no
 * driver, so Dawn finds no GPU. The automatic order is tensorflow, webgpu, wasm, cpu.
 */

const NO_VULKAN_DRIVER = "/nonexistent/no-vulkan-driver.json";

async function choose(requested?: string): Promise<{ name?: string; description?: string; error?: string }> {
  const args = ["--import", "tsx", "--import", "./tests/helpers/without-tfjs-node.mjs", "tests/helpers/choose-backend.ts", ...(requested ? [requested] : [])];
  const run = await runCommand(process.execPath, args, { env: { ...process.env, VK_ICD_FILENAMES: NO_VULKAN_DRIVER, VK_DRIVER_FILES: NO_VULKAN_DRIVER } });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}");
}

describe("selectBackend, without tfjs-node and without a GPU", () => {
  it("picks wasm, with our training kernels", async () => {
    const chosen = await choose();
    expect(chosen.name).toBe("wasm");
    expect(chosen.description).toMatch(/^wasm \(.*with training kernel overrides\)$/);
  });

  it("honours a request for cpu", async () => {
    expect((await choose("cpu")).name).toBe("cpu");
  });

  it("says why a requested backend cannot be used", async () => {
    expect((await choose("tensorflow")).error).toBe("backend 'tensorflow' cannot be used: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed");
    expect((await choose("webgpu")).error).toBe("backend 'webgpu' cannot be used: Dawn found no GPU adapter");
  });
});

describe("npm run check:gpu", () => {
  it("says in one line that there is no GPU, and exits 0", async () => {
    const run = await runCommand(process.execPath, ["--import", "tsx", "training/check-gpu.ts"], {
      env: { ...process.env, VK_ICD_FILENAMES: NO_VULKAN_DRIVER, VK_DRIVER_FILES: NO_VULKAN_DRIVER },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe("check:gpu: no GPU here (Dawn found no hardware adapter); nothing to check.\n");
  });
});
