"use client";

import { useEffect, useState } from "react";
import { ALL_BACKENDS, type BackendName, parseBackendList } from "@/lib/inference/backends";
import type { BackendChoice } from "./BackendBadge";

/**
 * The backend chain a page runs its models on: the by-hand choice of the badge's menu, else `?backends=` from the
 * URL, else all of them (WebGPU, WebGL, WASM, CPU, server). `chain` is null until the URL has been read (one
 * extra render on load), so no worker starts on a chain that is about to change. Shared by the pages.
 */
export function useBackendChain(): { chain: BackendName[] | null; choice: BackendChoice; onChoice: (next: BackendChoice) => void } {
  const [urlBackends, setUrlBackends] = useState<BackendName[] | null | undefined>(undefined);
  const [choice, setChoice] = useState<BackendChoice>("auto");

  useEffect(() => {
    const list = parseBackendList(new URLSearchParams(window.location.search).get("backends"));
    // Reading the URL has to wait for the browser; one extra render on load.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setUrlBackends(list);
    if (list?.length === 1) setChoice(list[0]);
  }, []);

  const onChoice = (next: BackendChoice) => {
    setChoice(next);
    const url = new URL(window.location.href);
    if (next === "auto") url.searchParams.delete("backends");
    else url.searchParams.set("backends", next);
    window.history.replaceState(null, "", url);
    if (next === "auto") setUrlBackends(null);
  };

  const chain = urlBackends === undefined ? null : choice === "auto" ? [...(urlBackends ?? ALL_BACKENDS)] : [choice];
  return { chain, choice, onChoice };
}
