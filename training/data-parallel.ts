import { Worker } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type { BackendName } from "./backend";
import { allVariables, applyGradients, gradientsOf, trainableVariables, valuesOf } from "./gradients";
import type { Batch, CommonConfig, Replica } from "./tasks/types";

/**
 * Training steps on one thread, or data-parallel on several (`--workers N`): the batch is split into N shards, the
 * main thread computes the gradients of the first and N - 1 worker threads (each with a replica of the models,
 * kept at the main thread's weights) those of the others; their average, weighted by shard size, is exactly the
 * gradient of the whole batch up to float rounding, and one optimizer step on the main thread applies it. A worker
 * starts from all of the main thread's weights, the frozen ones included (`--train-layers refine` freezes a body
 * restored from a checkpoint, not the one the config would build); the trainable weights then travel with each
 * step's shard: a few hundred kilobytes to a few megabytes, against a step of tens to thousands of milliseconds.
 * Frozen weights stay as they were: no layer of ours updates a weight outside the optimizer (no batch
 * normalisation).
 */

export interface GradientStepper {
  /** One optimizer step on `batch`; its loss terms, means over the batch. */
  step(batch: Batch): Promise<Record<string, number>>;
  /** Threads computing gradients, the main thread included. */
  readonly threads: number;
  close(): Promise<void>;
}

/** Every step on the main thread. */
export function localStepper(replica: Replica, optimizer: tf.Optimizer): GradientStepper {
  const variables = trainableVariables(replica);
  return {
    threads: 1,
    async step(batch) {
      const { terms, gradients } = await gradientsOf(replica, variables, batch);
      applyGradients(optimizer, variables, gradients);
      return terms;
    },
    async close() {},
  };
}

/** Splits a batch into at most `parts` shards of sizes as equal as possible, in order (no empty shard). */
export function splitBatch(batch: Batch, parts: number): Batch[] {
  const shards: Batch[] = [];
  for (let part = 0, start = 0; part < parts && start < batch.count; part++) {
    const count = Math.ceil((batch.count - start) / (parts - part));
    const inputs = Object.fromEntries(
      Object.entries(batch.inputs).map(([name, { data, shape }]) => {
        const perExample = data.length / batch.count;
        return [name, { data: data.slice(start * perExample, (start + count) * perExample), shape: [count, ...shape.slice(1)] }];
      }),
    );
    shards.push({ count, inputs });
    start += count;
  }
  return shards;
}

/** What a worker answers for a shard. */
interface ShardResult {
  terms: Record<string, number>;
  gradients: Float32Array[];
}

/** What a worker needs to build its replica: the same task, config and backend as the main thread. */
export interface WorkerSetup {
  run: string;
  config: CommonConfig;
  backend: BackendName;
}

/** A worker's setup and the weights its replica starts from (`allVariables` order). */
export interface ReplicaStart extends WorkerSetup {
  weights: Float32Array[];
}

class ReplicaWorker {
  private readonly worker: Worker;
  private pending: { resolve: (result: ShardResult) => void; reject: (error: Error) => void } | null = null;
  readonly ready: Promise<void>;

  constructor(setup: ReplicaStart) {
    // The worker runs TypeScript: a small plain-JS entry registers tsx in its thread, then imports the worker.
    this.worker = new Worker(new URL("./worker-boot.mjs", import.meta.url), {
      workerData: { entry: new URL("./replica-worker.ts", import.meta.url).href, setup },
    });
    let started: () => void = () => {};
    let failed: (error: Error) => void = () => {};
    this.ready = new Promise((resolve, reject) => ((started = resolve), (failed = reject)));
    this.worker.on("message", (message: { ready?: true; error?: string } & Partial<ShardResult>) => {
      if (message.ready) return started();
      const pending = this.pending;
      this.pending = null;
      if (message.error !== undefined) pending?.reject(new Error(`a training worker failed: ${message.error}`));
      else pending?.resolve(message as ShardResult);
    });
    const die = (error: Error) => {
      failed(error);
      this.pending?.reject(error);
      this.pending = null;
    };
    this.worker.on("error", (error) => die(new Error(`a training worker crashed: ${error.message}`)));
    this.worker.on("exit", (code) => die(new Error(`a training worker stopped (exit code ${code})`)));
  }

  /** The gradients of `shard` at `weights`. One shard at a time: the main thread waits for every answer. */
  compute(shard: Batch, weights: Float32Array[]): Promise<ShardResult> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ shard, weights });
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners("exit");
    await this.worker.terminate();
  }
}

/** Steps on the main thread and `threads - 1` workers; resolves once every worker has its replica. */
export async function parallelStepper(replica: Replica, optimizer: tf.Optimizer, threads: number, setup: WorkerSetup): Promise<GradientStepper> {
  const variables = trainableVariables(replica);
  const start = { ...setup, weights: await valuesOf(allVariables(replica)) };
  const workers = Array.from({ length: threads - 1 }, () => new ReplicaWorker(start));
  try {
    await Promise.all(workers.map((w) => w.ready));
  } catch (error) {
    await Promise.all(workers.map((w) => w.close()));
    throw error;
  }
  return {
    threads,
    async step(batch) {
      const [own, ...others] = splitBatch(batch, threads);
      const weights = await valuesOf(variables);
      const remote = Promise.all(others.map((shard, i) => workers[i].compute(shard, weights)));
      const local = await gradientsOf(replica, variables, own);
      const results = await remote;
      // Each shard's mean, weighted by its share of the batch: the mean over the whole batch.
      const shares = [own, ...others].map((shard) => shard.count / batch.count);
      const averaged = variables.map((variable, j) =>
        tf.tidy(() => results.reduce((sum, r, k) => tf.add(sum, tf.mul(tf.tensor(r.gradients[j], variable.shape), shares[k + 1])), tf.mul(local.gradients[j], shares[0]))),
      );
      tf.dispose(local.gradients);
      applyGradients(optimizer, variables, averaged);
      const terms: Record<string, number> = {};
      for (const [k, shardTerms] of [local.terms, ...results.map((r) => r.terms)].entries()) {
        for (const [name, value] of Object.entries(shardTerms)) terms[name] = (terms[name] ?? 0) + value * shares[k];
      }
      return terms;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
