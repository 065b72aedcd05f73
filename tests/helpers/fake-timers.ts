import { vi } from "vitest";

/**
 * Lets `promise` run to its end under vitest's fake timers, moving the fake clock on while it is pending: its
 * retry waits pass at once, and real I/O (files, hashing, sharp) still completes between the steps.
 */
export async function settle<T>(promise: Promise<T>, stepMs = 100): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  while (!done) await vi.advanceTimersByTimeAsync(stepMs);
  return promise;
}
