import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MODELS, RUNS } from "@/lib/catalogue";
import { parseManifest } from "@/lib/manifest";
import { type CommandResult, startCommand } from "../../helpers/run-command";

/**
 * Resuming is faithful: a run stopped inside an epoch (Ctrl-C, or its time budget) and resumed ends with the very
 * weights, counters and records of a run that was never stopped. The VAE on 6,000 digits, one epoch, on the wasm
 * backend (named, so that the comparison does not depend on what else this machine has installed).
 */

const work = mkdtempSync(path.join(tmpdir(), "train-resume-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const EXAMPLES = 6000;
const config = [RUNS.vae.name, "--epochs", "1", "--limit", String(EXAMPLES), "--batch-size", "50", "--test-data", "tests/fixtures/mnist-small", "--backend", "wasm"];

/** The training command in one Node process (no npx or tsx launcher in between), so a signal reaches it. */
function startTraining(name: string, extra: string[] = []) {
  const args = ["--import", "tsx", "training/cli.ts", ...config, "--out", path.join(work, name, "models"), "--checkpoint-dir", path.join(work, name, "checkpoint"), ...extra];
  return startCommand(process.execPath, args);
}

async function train(name: string, extra: string[] = []): Promise<CommandResult> {
  return startTraining(name, extra).done;
}

const state = (name: string) => JSON.parse(readFileSync(path.join(work, name, "checkpoint", "state.json"), "utf8"));

/** Every exported weight file of the run, by its path in the manifest. */
function weights(name: string): Map<string, Buffer> {
  const dir = path.join(work, name, "models");
  const manifest = parseManifest(JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")));
  const files = [MODELS.vaeEncoder, MODELS.vaeDecoder].flatMap((spec) => manifest.models[spec.key].files.filter((f) => f.path.endsWith(".bin")));
  return new Map(files.map((f) => [f.path, readFileSync(path.join(dir, f.path))]));
}

let uninterrupted: CommandResult;

describe("a stopped run resumes where it stopped", () => {
  it("runs uninterrupted for the comparison", async () => {
    uninterrupted = await train("whole");
    expect(uninterrupted.status, uninterrupted.stderr).toBe(0);
    expect(state("whole")).toMatchObject({ epoch: 1, examplesSeen: EXAMPLES });
    expect(state("whole").position).toBeUndefined();
  });

  it("Ctrl-C inside the epoch, then --resume: the same weights, examples and epoch record", async () => {
    const run = startTraining("interrupted");
    // The loop is running once it has printed this; let it take a few steps, then interrupt it.
    await run.waitForOutput(/training vae on \d+ examples/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    run.signal("SIGINT");
    const stopped = await run.done;
    expect(stopped.status, stopped.stderr).toBe(130);
    const position = state("interrupted").position;
    expect(position.done, "the stop came inside the epoch").toBeGreaterThan(0);
    expect(position.done).toBeLessThan(EXAMPLES);
    expect(state("interrupted")).toMatchObject({ epoch: 0, examplesSeen: position.done });

    const resumed = await train("interrupted", ["--resume"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`in epoch 1 after ${position.done} of its examples`);
    // Nothing replayed or counted twice, and the epoch's record is the uninterrupted run's.
    expect(state("interrupted")).toMatchObject({ epoch: 1, examplesSeen: EXAMPLES, history: state("whole").history });
    expect(weights("interrupted")).toEqual(weights("whole"));
  });

  it("--max-minutes stops inside the epoch with a checkpoint and exports; --resume finishes it the same", async () => {
    const limited = await train("limited", ["--max-minutes", "0.01"]);
    expect(limited.status, limited.stderr).toBe(0);
    expect(limited.stdout).toMatch(/stopped \(time budget reached\) in epoch 1 after \d+ of 6000 examples/);
    expect(limited.stdout).toMatch(/exported vae-encoder, vae-decoder/);
    const { position } = state("limited");
    expect(position.done).toBeGreaterThan(0);
    expect(position.done).toBeLessThan(EXAMPLES);

    const resumed = await train("limited", ["--resume", "--max-minutes", "0"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(state("limited")).toMatchObject({ epoch: 1, examplesSeen: EXAMPLES, history: state("whole").history });
    expect(weights("limited")).toEqual(weights("whole"));
  });

  it("recovers from a crash between the checkpoint swap's two renames", async () => {
    // What a crash there leaves: the finished checkpoint in <dir>.previous, a staging folder without state.json.
    const dir = path.join(work, "limited", "checkpoint");
    const copy = path.join(work, "crashed", "checkpoint");
    cpSync(dir, `${copy}.previous`, { recursive: true });
    cpSync(path.join(dir, "encoder"), path.join(`${copy}.partial`, "encoder"), { recursive: true });
    const resumed = await train("crashed", ["--resume", "--epochs", "1"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/recovered the checkpoint from .*checkpoint\.previous/);
    expect(resumed.stdout).toMatch(/resumed from .* after epoch 1 \(6000 examples seen\)/);
  });
});
