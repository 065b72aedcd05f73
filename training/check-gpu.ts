/**
 * `npm run check:gpu`: on a machine with an NVIDIA GPU (a Vulkan driver that Dawn can use), proves the GPU training
 * path in one command: the DAE's and the VAE's training step on the webgpu backend beside PyTorch on the same card
 * (images/s and the ratio), then five minutes of DAE training on webgpu with the held-out PSNR after each epoch.
 * Without a GPU it says so in one line and exits 0. The recipe for a machine without Node: ../shared/docs/gpu-training.md.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describeBackend, hasHardwareGpu, selectBackend } from "./backend";
import { MODEL_CASES, printTable, runYardstick, timeTrainingStep } from "./step-timing";
import { daeTask } from "./tasks/faces";

const TRAINING_MINUTES = 5;

async function main(): Promise<void> {
  if (!hasHardwareGpu()) {
    console.log("check:gpu: no GPU here (Dawn found no hardware adapter); nothing to check.");
    return;
  }
  await selectBackend("webgpu");
  console.log(`backend: ${describeBackend("webgpu")}\n`);

  const ours = [];
  for (const modelCase of MODEL_CASES) {
    const batch = modelCase.batch("webgpu");
    ours.push({ model: modelCase.name, batch, rate: (batch * 1000) / (await timeTrainingStep(modelCase, batch)) });
  }
  const yardstick = runYardstick();
  const cuda = (model: string) => yardstick?.results.find((r) => r.model === model && r.device === "cuda")?.images_per_second;
  console.log(`Training throughput on this GPU, images/s${yardstick ? ` (PyTorch ${yardstick.torch}, ${yardstick.python})` : " (no PyTorch here)"}\n`);
  printTable(
    ["model", "ours (tfjs webgpu)", "PyTorch CUDA", "ours / PyTorch"],
    ours.map(({ model, batch, rate }) => {
      const theirs = cuda(model);
      return [`${model} (batch ${batch})`, rate.toFixed(1), theirs?.toFixed(1) ?? "-", theirs ? `${(rate / theirs).toFixed(3)}x` : "-"];
    }),
  );

  console.log(`Training the DAE on webgpu for ${TRAINING_MINUTES} minutes; the held-out PSNR after each epoch:\n`);
  const work = mkdtempSync(path.join(tmpdir(), "check-gpu-"));
  try {
    const cli = path.join(import.meta.dirname, "cli.ts");
    const args = ["--import", "tsx", cli, daeTask.run.name, "--backend", "webgpu", "--epochs", "1000", "--max-minutes", String(TRAINING_MINUTES)];
    const run = spawnSync(process.execPath, [...args, "--checkpoint-dir", path.join(work, "checkpoint"), "--out", path.join(work, "models")], { stdio: "inherit" });
    if (run.status !== 0) process.exitCode = run.status ?? 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
