import cliProgress from "cli-progress";
import * as tf from "@tensorflow/tfjs";
import type { LayersModel } from "@tensorflow/tfjs-layers";
import { createRandom, type Random, resumeRandom } from "../lib/random";
import { type RunState, saveCheckpoint } from "./checkpoint";
import { learningRateAt, type ScheduleConfig, setLearningRate } from "./schedule";

/**
 * The training loop shared by every gradient-trained model: epochs over a shuffled order, a progress bar with the
 * loss terms, throughput and ETA, the learning rate of its schedule set before each step, a checkpoint at the end
 * of each epoch, and clean stops on a NaN loss, on Ctrl-C and on a time budget. A stop inside an epoch writes a
 * checkpoint with its position (examples done, the random source's state, the loss sums so far), so `--resume`
 * goes on from the very next batch and ends where an uninterrupted run would have.
 */

export interface Trainer {
  /** The models the checkpoint holds, by folder name. */
  models: Record<string, LayersModel>;
  optimizer: tf.Optimizer;
  examplesPerEpoch: number;
  /**
   * One optimisation step on the given examples; resolves to the loss terms (means over the batch). Every random
   * choice it makes (augmentation, noise, sampling) comes from `random`, so that a resumed run repeats it.
   */
  step(indices: Int32Array, random: Random): Promise<Record<string, number>>;
  /** Held-out metrics, run after each epoch. */
  evaluate(): Promise<Record<string, number>>;
}

export interface LoopConfig extends ScheduleConfig {
  epochs: number;
  batchSize: number;
  seed: number;
  /** Stop (with a checkpoint) once this many minutes of training have passed in this process; 0: no limit. */
  maxMinutes: number;
}

export type StopReason = "done" | "time" | "interrupted";

export class NanLossError extends Error {}

function shuffled(count: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random.uniform() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function formatTerms(terms: Record<string, number>): string {
  return Object.entries(terms)
    .filter(([name]) => name !== "epoch")
    .map(([name, value]) => `${name} ${value.toPrecision(4)}`)
    .join(" | ");
}

export async function trainLoop<Config extends LoopConfig>(
  trainer: Trainer,
  state: RunState<Config>,
  checkpointDir: string,
  log: (line: string) => void,
): Promise<StopReason> {
  const { epochs, batchSize, seed, maxMinutes } = state.config;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSigint);
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      format: "epoch {epoch} |{bar}| {value}/{total} | {terms} | lr {lr} | {rate}/s | ETA {eta_formatted}",
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 15_000,
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  try {
    while (state.epoch < epochs) {
      // A seed per epoch: a resumed run sees the same order and noise it would have seen without the break.
      let random = createRandom(seed * 1_000_003 + state.epoch);
      const order = shuffled(trainer.examplesPerEpoch, random);
      // Inside an epoch a stopped run left its position: its random source and sums go on from there.
      const resumed = state.position;
      state.position = undefined;
      if (resumed) random = resumeRandom(resumed.random);
      const sums: Record<string, number> = { ...resumed?.sums };
      let done = resumed?.done ?? 0;
      const epochStarted = performance.now();
      const doneBefore = done;
      bar.start(order.length, done, { epoch: `${state.epoch + 1}/${epochs}`, terms: "", lr: "-", rate: "-" });
      const rateAt = (start: number) => learningRateAt(state.config, (state.epoch + start / order.length) / epochs);
      while (done < order.length) {
        const indices = order.subarray(done, Math.min(done + batchSize, order.length));
        const learningRate = rateAt(done);
        setLearningRate(trainer.optimizer, learningRate);
        const terms = await trainer.step(indices, random);
        for (const [name, value] of Object.entries(terms)) {
          if (!Number.isFinite(value)) {
            throw new NanLossError(`loss term '${name}' became ${value} at epoch ${state.epoch + 1}, example ${done}`);
          }
          sums[name] = (sums[name] ?? 0) + value * indices.length;
        }
        done += indices.length;
        state.examplesSeen += indices.length;
        const means = Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / done]));
        const rate = ((done - doneBefore) / ((performance.now() - epochStarted) / 1000)).toFixed(1);
        bar.update(done, { terms: formatTerms(means), lr: learningRate.toPrecision(3), rate });
        // Let timers and signals run: the bar's redraw timer and the Ctrl-C handler are macrotasks, which a loop
        // of resolved promises would starve.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const outOfTime = maxMinutes > 0 && performance.now() - started > maxMinutes * 60_000;
        if (interrupted || outOfTime) {
          bar.stop();
          state.seconds += (performance.now() - epochStarted) / 1000;
          state.position = { done, random: random.save(), sums };
          await saveCheckpoint(checkpointDir, state, trainer.models, trainer.optimizer);
          log(`stopped (${interrupted ? "interrupted" : "time budget reached"}) in epoch ${state.epoch + 1} after ${done} of ${order.length} examples; checkpoint in ${checkpointDir}`);
          return interrupted ? "interrupted" : "time";
        }
      }
      bar.stop();
      const epochSeconds = (performance.now() - epochStarted) / 1000;
      // The rate of the epoch's last step, for its record.
      const learningRate = rateAt(order.length - (order.length % batchSize || batchSize));
      state.seconds += epochSeconds;
      state.epoch += 1;
      const metrics = await trainer.evaluate();
      for (const [name, value] of Object.entries(metrics)) {
        if (!Number.isFinite(value)) throw new NanLossError(`held-out metric '${name}' became ${value} after epoch ${state.epoch}`);
      }
      const record = { epoch: state.epoch, ...Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / done])), lr: learningRate, ...metrics };
      state.history.push(record);
      log(`epoch ${state.epoch}/${epochs}: ${formatTerms(record)} | ${((done - doneBefore) / epochSeconds).toFixed(1)} examples/s`);
      await saveCheckpoint(checkpointDir, state, trainer.models, trainer.optimizer);
    }
    return "done";
  } finally {
    bar.stop();
    process.removeListener("SIGINT", onSigint);
  }
}
