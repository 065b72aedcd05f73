import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseManifest } from "@/lib/manifest";
import { finishedDespiteDawnTeardown, runCommand } from "../../helpers/run-command";
import { runsOnSwiftShader, swiftShaderEnv } from "../../helpers/swiftshader";
import { MODELS, RUNS } from "@/lib/catalogue";

/**
 * The GPU training path (tfjs' webgpu backend on Dawn), run on SwiftShader, the CPU Vulkan driver that Debian's
 * Chromium ships: slow, but the same code that runs on an NVIDIA GPU, so a GPU session finds it working. Every
 * result must be read asynchronously there (the webgpu backend cannot read synchronously).
 */


const work = mkdtempSync(path.join(tmpdir(), "train-webgpu-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function trainOnSwiftShader(args: string[]) {
  return runCommand(process.execPath, ["--import", "tsx", "training/cli.ts", ...args, "--backend", "webgpu", "--out", work], { env: swiftShaderEnv() });
}

describe.skipIf(!runsOnSwiftShader)("training on the webgpu backend (SwiftShader)", () => {
  it("trains, evaluates and exports the DAE and the VAE", { timeout: 300_000 }, async () => {
    const faces = "tests/fixtures/faces-small.npz";
    const dae = await trainOnSwiftShader([RUNS.dae.name, "--epochs", "1", "--data", faces, "--test-data", faces, "--filters", "8", "--depth", "1", "--batch-size", "4", "--checkpoint-dir", path.join(work, "ckpt-dae")]);
    expect(finishedDespiteDawnTeardown(dae), dae.stderr).toBe(true);
    expect(dae.stdout).toMatch(/backend: webgpu \(.*swiftshader/i);
    expect(dae.stdout).toMatch(/exported dae/);
    const vae = await trainOnSwiftShader([RUNS.vae.name, "--epochs", "1", "--limit", "256", "--test-data", "tests/fixtures/mnist-small", "--checkpoint-dir", path.join(work, "ckpt-vae")]);
    expect(finishedDespiteDawnTeardown(vae), vae.stderr).toBe(true);
    expect(vae.stdout).toMatch(/exported vae-encoder/);
    const manifest = parseManifest(JSON.parse(readFileSync(path.join(work, "manifest.json"), "utf8")));
    expect(manifest.models.dae.training.backend).toBe("webgpu");
    expect(manifest.models[MODELS.vaeEncoder.key].training.metrics.test_neg_elbo).toBeGreaterThan(0);
  });
});
