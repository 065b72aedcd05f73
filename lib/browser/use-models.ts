"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { ModelSpec } from "../catalogue";
import { type BackendName, parseBackendList } from "./backends";
import { DEFAULT_CHAINS, detectDeviceClass } from "./device-class";
import { InferenceClient, type InferenceStatus, type ServerRunner } from "./inference-client";
import { parseThreadCount } from "./wasm-threads";

/**
 * What a demo page needs to run its models, in two hooks: `useModels` (the backend chain, a client on it, and its
 * status for the badge) and `useLatestWins` (the queue that keeps a model busy only with the latest request).
 */

/** The badge menu's value: the default chain, or one backend by hand. */
export type BackendChoice = "auto" | BackendName;

/**
 * The backend chain: the by-hand choice of the badge's menu, else `?backends=` from the URL, else the default order
 * for this device's class (device-class.ts: GPU backends first with a hardware GPU, WebAssembly first without
 * one). `chain` is null until the URL and the device have been read, so no worker starts on a chain that is
 * about to change.
 */
function useBackendChain(): { chain: BackendName[] | null; choice: BackendChoice; onChoice: (next: BackendChoice) => void } {
  const [urlBackends, setUrlBackends] = useState<BackendName[] | null | undefined>(undefined);
  const [deviceChain, setDeviceChain] = useState<BackendName[] | null>(null);
  const [choice, setChoice] = useState<BackendChoice>("auto");

  useEffect(() => {
    const list = parseBackendList(new URLSearchParams(window.location.search).get("backends"));
    // Reading the URL has to wait for the browser; one extra render on load.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setUrlBackends(list);
    if (list?.length === 1) setChoice(list[0]);
  }, []);

  // The device's class (one WebGL context, ~45 ms) only matters when the URL names no chain.
  const needsDeviceClass = urlBackends === null && deviceChain === null;
  useEffect(() => {
    if (!needsDeviceClass) return;
    let live = true;
    void detectDeviceClass().then(({ deviceClass }) => live && setDeviceChain(DEFAULT_CHAINS[deviceClass]));
    return () => {
      live = false;
    };
  }, [needsDeviceClass]);

  const onChoice = (next: BackendChoice) => {
    setChoice(next);
    const url = new URL(window.location.href);
    if (next === "auto") url.searchParams.delete("backends");
    else url.searchParams.set("backends", next);
    window.history.replaceState(null, "", url);
    if (next === "auto") setUrlBackends(null);
  };

  const auto = urlBackends ?? deviceChain;
  const chain = urlBackends === undefined ? null : choice !== "auto" ? [choice] : auto ? [...auto] : null;
  return { chain, choice, onChoice };
}

export interface ModelsOnPage {
  /** Null until the chain is known (and on the server render: no worker there). */
  client: InferenceClient | null;
  status: InferenceStatus | null;
  /** A backend is ready to run the models. */
  ready: boolean;
  /** The badge menu's value and setter. */
  choice: BackendChoice;
  onChoice: (next: BackendChoice) => void;
}

/**
 * The page's models on the first backend of its chain that runs them: one client (and worker) per chain;
 * changing the chain (the by-hand switch) disposes the old worker and starts a new one. `models` and `server`
 * are read when the chain changes: pass constants (a module-level list, a runner made once).
 */
export function useModels({ modelsBase, models, server }: { modelsBase: string; models: readonly ModelSpec[]; server: ServerRunner }): ModelsOnPage {
  const { chain, choice, onChoice } = useBackendChain();
  const [state, setState] = useState<{ client: InferenceClient | null; status: InferenceStatus | null }>({ client: null, status: null });
  const chainKey = chain?.join(",") ?? null;
  const setup = useRef({ models, server });
  useEffect(() => {
    setup.current = { models, server };
  });

  useEffect(() => {
    if (chainKey === null) return;
    // `?threads=N` sets the wasm backend's threads (1 to compare with one thread); by default one per core.
    const wasmThreads = parseThreadCount(new URLSearchParams(window.location.search).get("threads")) ?? undefined;
    const client = new InferenceClient({ modelsBase, ...setup.current, backends: chainKey.split(",") as BackendName[], wasmThreads });
    const unsubscribe = client.subscribe((status) => setState({ client, status }));
    void client.start();
    return () => {
      unsubscribe();
      client.dispose();
    };
  }, [modelsBase, chainKey]);

  return { ...state, ready: state.client !== null && state.status?.phase === "ready", choice, onChoice };
}

/**
 * Runs `run` on submitted jobs one at a time, always on the newest: while one runs, a new job replaces the one
 * waiting (a slider or a pointer moves faster than a slow backend runs a model). `submit` is stable; `run` may
 * change on every render, and the latest one is used. `busy` is true from a submit until the queue is empty.
 */
export function useLatestWins<Job>(run: (job: Job) => Promise<void>): { submit: (job: Job) => void; busy: boolean } {
  const [busy, setBusy] = useState(false);
  const runRef = useRef(run);
  const queue = useRef<{ running: boolean; next: { job: Job } | null }>({ running: false, next: null });
  useEffect(() => {
    runRef.current = run;
  }, [run]);

  const submit = useCallback((job: Job) => {
    const q = queue.current;
    q.next = { job };
    if (q.running) return;
    q.running = true;
    setBusy(true);
    void (async () => {
      try {
        while (q.next) {
          const { job } = q.next;
          q.next = null;
          await runRef.current(job);
        }
      } finally {
        q.running = false;
        setBusy(false);
      }
    })();
  }, []);

  return useMemo(() => ({ submit, busy }), [submit, busy]);
}
