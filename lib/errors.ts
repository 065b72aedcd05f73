/** A message a person can read for anything thrown: an Error's, an error-like object's, or the value as text. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "message" in error) return String(error.message);
  return String(error);
}

/**
 * Whether `error` is a cancellation: what `signal.throwIfAborted()`, fetch and our own cancellable work reject
 * with (a DOMException named AbortError; across a worker boundary, an Error of that name).
 */
export function isAbortError(error: unknown): boolean {
  return typeof error === "object" && error !== null && "name" in error && error.name === "AbortError";
}

/** Lets the event loop run (timers, messages, a cancel request) between chunks of long work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
