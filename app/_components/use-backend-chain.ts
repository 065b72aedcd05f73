"use client";

import { useEffect, useState } from "react";
import { type BackendName, parseBackendList } from "@/lib/inference/backends";
import { DEFAULT_CHAINS, detectDeviceClass } from "@/lib/inference/device-class";
import type { BackendChoice } from "./BackendBadge";

/**
 * The backend chain a page runs its models on: the by-hand choice of the badge's menu, else `?backends=` from the
 * URL, else the default order for this device's class (lib/inference/device-class.ts: GPU backends first with a
 * hardware GPU, WebAssembly first without one). `chain` is null until the URL and the device have been read, so
 * no worker starts on a chain that is about to change. Shared by the pages.
 */
export function useBackendChain(): { chain: BackendName[] | null; choice: BackendChoice; onChoice: (next: BackendChoice) => void } {
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
