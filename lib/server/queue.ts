import "server-only";
import PQueue from "p-queue";
import { ClientClosedError, OverloadedError } from "./http";

export interface QueueLimits {
  /** Tasks that may wait for their turn; one more is refused at once. */
  maxWaiting: number;
  /** The longest a task waits for its turn before it is refused. */
  maxWaitMs: number;
  /** Tasks running at once (the server: one per inference thread); default 1. */
  concurrency?: number;
}

/**
 * `concurrency` tasks at a time, with a short line in front: at most `maxWaiting` tasks wait, none longer than
 * `maxWaitMs`. A task refused or timed out in line never runs, and its caller gets an OverloadedError whose
 * Retry-After is about how long the line ahead takes to clear.
 */
export class InferenceQueue {
  private readonly queue: PQueue;
  /** Moving average of task durations, for Retry-After. */
  private averageMs = 100;

  constructor(readonly limits: QueueLimits) {
    this.queue = new PQueue({ concurrency: limits.concurrency ?? 1 });
  }

  /** Tasks waiting for their turn, and running (at most `concurrency`). */
  get load(): { waiting: number; running: number } {
    return { waiting: this.queue.size, running: this.queue.pending };
  }

  private retryAfterSeconds(): number {
    const lineMs = ((this.queue.size + 1) * this.averageMs) / this.queue.concurrency;
    return Math.min(60, Math.max(1, Math.ceil(lineMs / 1000)));
  }

  /**
   * Runs `task` in its turn. `client` is the request's signal: a request whose client hangs up while it waits
   * leaves the line at once (nobody would read its answer, and it would hold a place others need).
   */
  async run<T>(task: () => Promise<T>, client?: AbortSignal): Promise<T> {
    // A client gone before its request got here sends no abort event any more: it must not take a place either.
    if (client?.aborted) throw new ClientClosedError("The client closed the request before its turn.");
    if (this.queue.size >= this.limits.maxWaiting) {
      throw new OverloadedError(`The server is busy (${this.queue.size} requests waiting); try again shortly.`, this.retryAfterSeconds());
    }
    // The wait, not the task, is what may be cut short here: p-queue would also abort a running task on this signal
    // (and start the next one beside it), so the timer and the client's hang-up stop counting once the turn comes.
    // A running task watches the client itself (runOnServer stops its model runs), and holds its place until it ends.
    const waiting = new AbortController();
    const timer = setTimeout(() => waiting.abort(), this.limits.maxWaitMs);
    const hungUp = () => waiting.abort();
    client?.addEventListener("abort", hungUp, { once: true });
    const stopWatching = () => {
      clearTimeout(timer);
      client?.removeEventListener("abort", hungUp);
    };
    let started = false;
    try {
      return await this.queue.add(
        async () => {
          stopWatching();
          started = true;
          const t0 = performance.now();
          try {
            return await task();
          } finally {
            this.averageMs = 0.9 * this.averageMs + 0.1 * (performance.now() - t0);
          }
        },
        { signal: waiting.signal },
      );
    } catch (error) {
      if (started) throw error;
      if (client?.aborted) throw new ClientClosedError("The client closed the request before its turn.");
      throw new OverloadedError(`The server is busy: no turn within ${this.limits.maxWaitMs / 1000} s; try again shortly.`, this.retryAfterSeconds());
    } finally {
      stopWatching();
    }
  }
}
