import type { InferencePool } from "@/lib/server/inference-pool";
import type { InferenceQueue } from "@/lib/server/queue";

/**
 * The inference line and threads the server routes share (lib/server/models.ts keeps them on globalThis, one of
 * each per process), so that a test can hold the line busy with tasks of its own, watch its load, and count the
 * model runs the threads answered. Import a route or lib/server/models first.
 */
function serverState(): { queue: InferenceQueue; pool: InferencePool } {
  const state = (globalThis as { __autoencoderServerModels?: { queue?: InferenceQueue; pool?: InferencePool } }).__autoencoderServerModels;
  if (!state?.queue || !state.pool) throw new Error("no server state on globalThis: import lib/server/models.ts first (or has it moved?)");
  return { queue: state.queue, pool: state.pool };
}

export function serverQueue(): InferenceQueue {
  return serverState().queue;
}

export function serverPool(): InferencePool {
  return serverState().pool;
}

/** A promise to hold the line with, and the function that lets it go. */
export function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
