"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import type { BackendName } from "@/lib/browser/backends";
import type { ModelsOnPage } from "@/lib/browser/use-models";
import { MODELS } from "@/lib/catalogue";
import { errorMessage, isAbortError } from "@/lib/errors";
import type { PixelImage } from "@/lib/image";
import { SERVER_FULL_RES_MAX_PIXELS } from "@/lib/limits";
import { addNoiseAsync, type NoiseSpec } from "@/lib/noise";
import { planTiles, type Rect, type TileOptions, type TileOutput } from "@/lib/tiling";
import { estimateMs, scaledTo, type Size, sizeChoices, type Speed, workingSize } from "@/lib/working-size";
import { type Photo, photoPixels } from "./photo";

type ByteImage = PixelImage<Uint8ClampedArray>;

/**
 * The whole photo, denoised first: as soon as a photo is open and a backend is ready, the photo is noised and
 * denoised at its working size (the largest copy this device finishes in about `budgetMs`, from the backend's
 * measured speed: lib/working-size.ts), tile by tile, each tile shown as it finishes. A larger size, up to the
 * photo's own, is one choice away with its time estimate. Changing the noise runs again by itself where the run is
 * short (the working size, or anything estimated under AUTO_RUN_MS); a longer one waits for a click. Cancel goes
 * back to the last finished result of the photo.
 */

/** Runs estimated to take longer than this wait for a click (unless they are the working size). */
const AUTO_RUN_MS = 6000;
/** A slider sends many changes: wait this long for the last before starting again. */
const SETTLE_MS = 250;
/** The working size where no speed could be measured. */
const UNMEASURED_SIDE = 256;

export interface WholeRun {
  /** Photo, size, noise, seed and backend: a run is redone only when one of them changes. */
  key: string;
  photoId: number;
  size: Size;
  noise: NoiseSpec;
  clean: ByteImage;
  noisy: ByteImage;
  /** The denoised photo; while running, the noisy one with each finished tile pasted over it. */
  denoised: ByteImage;
  done: number;
  total: number;
  state: "running" | "done";
  ms?: number;
  backend?: BackendName;
  /** Called with each tile's rectangle as it is pasted into `denoised` (the view paints just that tile). */
  onTile: Set<(rect: Rect) => void>;
}

export interface SizeChoice {
  size: Size;
  /** Estimated milliseconds on the current backend, or null when its speed is unknown. */
  ms: number | null;
  /** Why it cannot be chosen here, or undefined. */
  unavailable?: string;
}

declare global {
  interface Window {
    /** Timings for tests and measurements: ms since navigation start. */
    __denoise?: { firstDenoisedAt?: number; backend?: string; inferenceMs?: number[]; modelSha256?: string };
  }
}

const sizeKey = ({ width, height }: Size) => `${width}x${height}`;

function pasteTile(image: ByteImage, { rect, data }: TileOutput): void {
  const row = rect.width * image.channels;
  for (let y = 0; y < rect.height; y++) image.data.set(data.subarray(y * row, (y + 1) * row), ((rect.y + y) * image.width + rect.x) * image.channels);
}

export function useWholePhoto({
  photo,
  photoId,
  noise,
  seed,
  models,
  tiles,
  budgetMs,
}: {
  photo: Photo | null;
  photoId: number;
  noise: NoiseSpec;
  seed: number;
  models: ModelsOnPage;
  tiles: TileOptions;
  budgetMs: number;
}) {
  const { client, status, ready } = models;
  const backend = ready ? (status?.backend ?? null) : null;
  const [working, setWorking] = useState<{ key: string; size: Size } | null>(null);
  const [chosen, setChosen] = useState<{ photoId: number; size: Size } | null>(null);
  const [shown, setShown] = useState<WholeRun | null>(null);
  const [, setTilesDone] = useState(0);
  const [running, setRunning] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A run the visitor cancelled (or that failed) is not started again by itself; one they asked for is.
  const [declined, setDeclined] = useState<string | null>(null);
  const [approved, setApproved] = useState<string | null>(null);
  const lastDone = useRef<WholeRun | null>(null);
  const controller = useRef<AbortController | null>(null);

  // The working size: measured once per photo and backend (so that later runs, which refine the speed, do not move it).
  const workingKey = photo && backend ? `${photoId}|${backend}` : null;
  useEffect(() => {
    if (!photo || !client || !workingKey || working?.key === workingKey) return;
    let live = true;
    const choose = (speed: Speed | null) =>
      live && setWorking({ key: workingKey, size: speed ? workingSize(photo, tiles, speed, budgetMs) : scaledTo(photo, UNMEASURED_SIDE) });
    client.measureImageSpeed(MODELS.dae.key).then(choose, () => choose(null));
    return () => {
      live = false;
    };
  }, [photo, client, workingKey, working?.key, tiles, budgetMs]);

  const workingSizeNow = working && working.key === workingKey ? working.size : null;
  const target = chosen?.photoId === photoId ? chosen.size : workingSizeNow;
  const speed = client && backend ? client.imageSpeed(MODELS.dae.key) : null;
  const estimate = (size: Size) => (speed ? estimateMs(size.width, size.height, tiles, speed) : null);
  const runKey = (size: Size) => `${photoId}|${sizeKey(size)}|${noise.kind}:${noise.level}|${seed}|${backend}`;
  const targetKey = target ? runKey(target) : null;
  const tooBig = (size: Size) => backend === "server" && size.width * size.height > SERVER_FULL_RES_MAX_PIXELS;

  const start = useCallback(
    async (size: Size, key: string) => {
      if (!photo || !client) return;
      controller.current?.abort();
      const ctl = new AbortController();
      controller.current = ctl;
      setRunning(key);
      setError(null);
      try {
        const clean = await photoPixels(photo, size.width, size.height);
        const noisy = await addNoiseAsync(clean, noise, seed, ctl.signal);
        ctl.signal.throwIfAborted();
        const total = planTiles(size.width, size.height, tiles).tiles.length;
        const run: WholeRun = { key, photoId, size, noise, clean, noisy, denoised: { ...noisy, data: noisy.data.slice() }, done: 0, total, state: "running", onTile: new Set() };
        setShown(run);
        const out = await client.tiled(
          MODELS.dae.key,
          noisy,
          tiles,
          (done, all, tile) => {
            if (ctl.signal.aborted) return;
            run.done = done;
            run.total = all;
            if (tile) {
              pasteTile(run.denoised, tile);
              for (const paint of run.onTile) paint(tile.rect);
            }
            setTilesDone((n) => n + 1);
          },
          ctl.signal,
        );
        ctl.signal.throwIfAborted();
        const finished: WholeRun = { ...run, denoised: out.value, done: run.total, state: "done", ms: out.ms, backend: out.backend };
        lastDone.current = finished;
        setShown(finished);
        const timings = (window.__denoise ??= {});
        timings.firstDenoisedAt ??= performance.now();
        timings.backend = out.backend;
        (timings.inferenceMs ??= []).push(out.ms);
        timings.modelSha256 = client.status.models[0]?.sha256;
      } catch (e) {
        // Cancelled, or replaced by a newer run: that one is on screen now.
        if (isAbortError(e) || ctl.signal.aborted || controller.current !== ctl) return;
        // A client disposed meanwhile (the backend was switched) has nothing to report.
        if (!client.disposed) setError(`Denoising failed: ${errorMessage(e)}`);
        setDeclined(key);
        setShown(lastDone.current);
      } finally {
        if (controller.current === ctl) {
          controller.current = null;
          setRunning(null);
        }
      }
    },
    [photo, photoId, client, noise, seed, tiles],
  );

  // Run by itself: the working size always, a chosen size when asked for or when it is short.
  const targetEstimate = target ? estimate(target) : null;
  const automatic =
    target !== null &&
    !tooBig(target) &&
    (sizeKey(target) === sizeKey(workingSizeNow ?? target) || approved === targetKey || (targetEstimate !== null && targetEstimate <= AUTO_RUN_MS));
  const shownKey = shown?.key ?? null;
  useEffect(() => {
    if (!target || !targetKey || !automatic || shownKey === targetKey || running === targetKey || declined === targetKey) return;
    // Straight away for a new photo, after the slider settles for the same one.
    const timer = setTimeout(() => void start(target, targetKey), shown?.photoId === photoId ? SETTLE_MS : 0);
    return () => clearTimeout(timer);
  }, [target, targetKey, automatic, shownKey, running, declined, start, shown?.photoId, photoId]);

  // Stop a run when the page goes.
  useEffect(() => () => controller.current?.abort(), []);

  const cancel = useCallback(() => {
    controller.current?.abort();
    controller.current = null;
    setRunning(null);
    if (targetKey) setDeclined(targetKey);
    setShown(lastDone.current);
  }, [targetKey]);

  /** The size menu: runs the chosen size at once. */
  const choose = (size: Size) => {
    setChosen({ photoId, size });
    setDeclined(null);
    setApproved(runKey(size));
  };

  /** The button for a run that did not start by itself. */
  const runTarget = useCallback(() => {
    if (!target || !targetKey) return;
    setDeclined(null);
    setApproved(targetKey);
  }, [target, targetKey]);

  // What no longer holds is not shown: another photo's result, or any result once no backend can run the model.
  const visible = status?.phase === "failed" || shown?.photoId !== photoId ? null : shown;
  const choices: SizeChoice[] =
    photo && workingSizeNow
      ? sizeChoices(photo, workingSizeNow).map((size) => ({
          size,
          ms: estimate(size),
          unavailable: tooBig(size) ? `over the server's ${SERVER_FULL_RES_MAX_PIXELS / 1e6} megapixels` : undefined,
        }))
      : [];

  return {
    /** The run on screen: the one in progress, else the last finished one of this photo. */
    shown: visible,
    running: running !== null,
    /** A run is going on or about to start by itself: what is on screen is not yet for the current settings. */
    busy: running !== null || (automatic && ready && shownKey !== targetKey && declined !== targetKey),
    error: status?.phase === "failed" ? null : error,
    dismissError: () => setError(null),
    working: workingSizeNow,
    target,
    /** The target is neither on screen nor on its way: it waits for `runTarget`. */
    waiting: target !== null && ready && visible?.key !== targetKey && running !== targetKey && (!automatic || declined === targetKey),
    targetEstimate,
    targetTooBig: target ? tooBig(target) : false,
    choices,
    choose,
    runTarget,
    cancel,
  };
}
