import "server-only";
import PQueue from "p-queue";
import { HttpError, OverloadedError } from "./http";

/**
 * One task at a time, with a short line in front: at most `maxWaiting` tasks wait, none longer than `maxWaitMs`.
 * A task refused or timed out in line never runs, and its caller gets an OverloadedError whose Retry-After is
 * about how long the line ahead takes to clear.
 */
export class InferenceQueue {
  private readonly queue = new PQueue({ concurrency: 1 });
  /** Moving average of task durations, for Retry-After. */
  private averageMs = 100;

  constructor(readonly limits: { maxWaiting: number; maxWaitMs: number }) {}

  /** Tasks waiting for their turn, and running (0 or 1). */
  get load(): { waiting: number; running: number } {
    return { waiting: this.queue.size, running: this.queue.pending };
  }

  private retryAfterSeconds(): number {
    return Math.min(60, Math.max(1, Math.ceil(((this.queue.size + 1) * this.averageMs) / 1000)));
  }

  /**
   * Runs `task` in its turn. `client` is the request's signal: a request whose client hangs up while it waits
   * leaves the line at once (nobody would read its answer, and it would hold a place others need).
   */
  async run<T>(task: () => Promise<T>, client?: AbortSignal): Promise<T> {
    // A client gone before its request got here sends no abort event any more: it must not take a place either.
    if (client?.aborted) throw new HttpError(499, "The client closed the request before its turn.");
    if (this.queue.size >= this.limits.maxWaiting) {
      throw new OverloadedError(`The server is busy (${this.queue.size} requests waiting); try again shortly.`, this.retryAfterSeconds());
    }
    // The wait, not the task, is what may be cut short: p-queue would also abort a running task on this signal
    // (and start the next one beside it), so the timer and the client's hang-up stop counting once the turn comes.
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
      if (client?.aborted) throw new HttpError(499, "The client closed the request before its turn.");
      throw new OverloadedError(`The server is busy: no turn within ${this.limits.maxWaitMs / 1000} s; try again shortly.`, this.retryAfterSeconds());
    } finally {
      stopWatching();
    }
  }
}
