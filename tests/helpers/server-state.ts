import type { InferenceQueue } from "@/lib/server/queue";

/**
 * The inference line the server routes share (lib/server/models.ts keeps it on globalThis, one per process), so
 * that a test can hold it busy with tasks of its own and watch its load. Import a route or lib/server/models first.
 */
export function serverQueue(): InferenceQueue {
  const state = (globalThis as { __autoencoderServerModels?: { queue?: InferenceQueue } }).__autoencoderServerModels;
  if (!state?.queue) throw new Error("no server state on globalThis: import lib/server/models.ts first (or has it moved?)");
  return state.queue;
}

/** A promise to hold the line with, and the function that lets it go. */
export function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
