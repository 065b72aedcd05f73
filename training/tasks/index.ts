import { daeTask, faceAutoencoderTask } from "./faces";
import { ae2dTask, vaeTask } from "./mnist";
import { pcaTask } from "./pca";
import type { ClosedFormTask, CommonConfig, GradientTask } from "./types";

/** Every training task, by the catalogue's run name (the command line's model argument). */

// The registry forgets each task's own data type; every task's data goes only to that same task's functions.
export type AnyGradientTask = GradientTask<CommonConfig, unknown>;
export type AnyTask = AnyGradientTask | ClosedFormTask<unknown>;

export const TASKS: Record<string, AnyTask> = Object.fromEntries(
  [daeTask, faceAutoencoderTask, vaeTask, ae2dTask, pcaTask].map((task) => [task.run.name, task as unknown as AnyTask]),
);

/** The gradient-trained task of a run name; throws for any other. */
export function gradientTask(run: string): AnyGradientTask {
  const task = TASKS[run];
  if (task?.kind !== "gradient") throw new Error(`'${run}' is not a gradient-trained model`);
  return task;
}
