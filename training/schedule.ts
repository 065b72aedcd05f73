import type * as tf from "@tensorflow/tfjs";

/**
 * Learning-rate schedules. `cosine` decays from the configured rate to `minLearningRate` over the run's epochs
 * (SGDR, Loshchilov & Hutter 2017, without restarts), step by step. The rate follows from how far the run is, not
 * from how it got there, so a resumed run, or one given more epochs, picks the curve up where it now stands.
 */
export const LR_SCHEDULES = ["constant", "cosine"] as const;
export type LearningRateSchedule = (typeof LR_SCHEDULES)[number];

export interface ScheduleConfig {
  learningRate: number;
  lrSchedule: LearningRateSchedule;
  minLearningRate: number;
}

/** Every task's default: a constant rate; `--lr-schedule cosine` alone then decays to 1e-5. */
export const DEFAULT_SCHEDULE = { lrSchedule: "constant", minLearningRate: 1e-5 } as const satisfies Omit<ScheduleConfig, "learningRate">;

/** The rate at `progress`: 0 at the start of the run, 1 at the end of its last epoch (clamped). */
export function learningRateAt({ learningRate, lrSchedule, minLearningRate }: ScheduleConfig, progress: number): number {
  if (lrSchedule === "constant") return learningRate;
  const t = Math.min(1, Math.max(0, progress));
  return minLearningRate + (learningRate - minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * t));
}

/**
 * Sets the rate an optimizer applies from its next step on. tfjs' optimizers read their `learningRate` field
 * afresh in each step, but keep it protected, with no setter.
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  if (!("learningRate" in optimizer)) throw new Error(`${optimizer.getClassName()} has no learning rate to schedule`);
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}
