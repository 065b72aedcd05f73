"use client";

import { useEffect, useState } from "react";
import { InferenceClient, type InferenceOptions, type InferenceStatus } from "./client";

/**
 * React binding of InferenceClient: one client (and worker) per distinct backend chain; changing the chain (the
 * by-hand switch) disposes the old worker and starts a new one. Returns null until mounted (no worker on the
 * server render).
 */
export function useInference(options: InferenceOptions | null): { client: InferenceClient | null; status: InferenceStatus | null } {
  const [state, setState] = useState<{ client: InferenceClient | null; status: InferenceStatus | null }>({ client: null, status: null });
  const key = options ? JSON.stringify({ ...options, server: Boolean(options.server) }) : "";

  useEffect(() => {
    if (!options) return;
    const client = new InferenceClient(options);
    const unsubscribe = client.subscribe((status) => setState({ client, status }));
    void client.start();
    return () => {
      unsubscribe();
      client.dispose();
    };
    // The options object is rebuilt on every render; the chain it describes is what matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  return state;
}
