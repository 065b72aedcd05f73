"use client";

import { useEffect, useId, useRef, useState } from "react";
import { Card } from "@/app/_components/Card";
import type { InferenceClient, InferenceStatus } from "@/lib/browser/inference-client";
import { MODELS } from "@/lib/catalogue";
import { errorMessage, isAbortError } from "@/lib/errors";
import type { PixelImage } from "@/lib/image";
import { SERVER_FULL_RES_MAX_PIXELS } from "@/lib/limits";
import { psnr } from "@/lib/metrics";
import { addNoiseAsync, type NoiseSpec } from "@/lib/noise";
import type { TileOptions } from "@/lib/tiling";
import { Compare } from "./Compare";
import { PRIMARY_BUTTON, SMALL_BUTTON } from "./CropSelector";
import { downloadPng, formatDb } from "./format";
import { type Photo, photoPixels } from "./photo";

interface FullResult {
  tiles: number;
  noisy: PixelImage<Uint8ClampedArray>;
  denoised: PixelImage<Uint8ClampedArray>;
  psnrNoisy: number;
  psnrDenoised: number;
  ms: number;
  backend: string;
}

type Size = "full" | 2048 | 1024 | 512;

function targetSize(photo: Photo, size: Size): [number, number] {
  if (size === "full") return [photo.width, photo.height];
  const scale = Math.min(1, size / Math.max(photo.width, photo.height));
  return [Math.max(1, Math.round(photo.width * scale)), Math.max(1, Math.round(photo.height * scale))];
}

/**
 * Beyond the 64x64 crop: the whole photo, corrupted with the same noise and denoised at its own resolution (or a
 * smaller one), tile by tile in the worker with a progress bar; cancellable; downloadable.
 */
export function FullResPanel({
  photo,
  noise,
  seed,
  client,
  status,
  tiles,
  msPerPixel,
}: {
  photo: Photo;
  noise: NoiseSpec;
  seed: number;
  client: InferenceClient | null;
  status: InferenceStatus | null;
  tiles: TileOptions;
  msPerPixel: number | null;
}) {
  const [size, setSize] = useState<Size>("full");
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [running, setRunning] = useState(false);
  const [result, setResult] = useState<FullResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [actualSize, setActualSize] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const sizeId = useId();
  const progressId = useId();

  // A new photo invalidates the result and stops a run in progress.
  useEffect(() => {
    return () => abort.current?.abort();
  }, [photo]);

  const [width, height] = targetSize(photo, size);
  const pixels = width * height;
  const overhead = ((tiles.tile + 2 * tiles.margin) / tiles.tile) ** 2;
  const estimateS = msPerPixel && status?.backend !== "server" ? (msPerPixel * pixels * overhead) / 1000 : null;
  const tooBigForServer = status?.backend === "server" && pixels > SERVER_FULL_RES_MAX_PIXELS;
  const sizes: Size[] = ["full", ...([2048, 1024, 512] as const).filter((s) => s < Math.max(photo.width, photo.height))];

  async function run() {
    if (!client) return;
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setRunning(true);
    setError(null);
    setResult(null);
    setProgress(null);
    let tileCount = 1;
    try {
      const clean = await photoPixels(photo, width, height);
      const noisy = await addNoiseAsync(clean, noise, seed, controller.signal);
      const out = await client.tiled(MODELS.dae.key, noisy, tiles, (done, total) => {
        tileCount = total;
        setProgress({ done, total });
      }, controller.signal);
      const denoised = out.value;
      setResult({ tiles: tileCount, noisy, denoised, psnrNoisy: psnr(clean, noisy), psnrDenoised: psnr(clean, denoised), ms: out.ms, backend: out.backend });
    } catch (e) {
      if (!isAbortError(e)) setError(errorMessage(e));
    } finally {
      if (abort.current === controller) {
        abort.current = null;
        setRunning(false);
      }
    }
  }

  const baseName = photo.name.replace(/\.[^.]*$/, "") || "photo";

  return (
    <Card
      title="4. The whole photo"
      intro={
        <>
          The model is fully convolutional, so it can denoise the whole photo at its own resolution, with the same noise.
          It runs in overlapping tiles of {tiles.tile}×{tiles.tile} pixels, so memory stays bounded and no seams show.
        </>
      }
    >
      <div className="mt-3 flex flex-wrap items-center gap-3">
        <label htmlFor={sizeId} className="text-sm font-medium">
          Size
        </label>
        <select
          id={sizeId}
          value={String(size)}
          disabled={running}
          onChange={(e) => setSize(e.target.value === "full" ? "full" : (Number(e.target.value) as Size))}
          className="rounded border border-slate-400 bg-white px-1.5 py-1 text-sm dark:border-slate-600 dark:bg-slate-950"
        >
          {sizes.map((s) => {
            const [w, h] = targetSize(photo, s);
            return (
              <option key={s} value={String(s)}>
                {s === "full" ? `Its own size, ${w}×${h}` : `${w}×${h}`}
              </option>
            );
          })}
        </select>
        {running ? (
          <button type="button" className={SMALL_BUTTON} onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        ) : (
          <button
            type="button"
            className={PRIMARY_BUTTON}
            onClick={run}
            disabled={!client || status?.phase !== "ready" || tooBigForServer}
            data-testid="denoise-full"
          >
            Denoise the whole photo
          </button>
        )}
        {estimateS !== null && !running && (
          <span className="text-sm text-slate-700 dark:text-slate-300">about {estimateS < 1 ? "a second" : `${Math.ceil(estimateS)} s`} here</span>
        )}
      </div>
      {tooBigForServer && (
        <p className="mt-2 text-sm text-red-800 dark:text-red-300">
          On the server, whole photos are limited to {SERVER_FULL_RES_MAX_PIXELS / 1e6} megapixels: choose a smaller size.
        </p>
      )}
      {running && (
        <div className="mt-3">
          <label htmlFor={progressId} className="text-sm">
            {progress ? `Tile ${progress.done} of ${progress.total}` : status?.backend === "server" ? "On the server…" : "Preparing…"}
          </label>
          <progress
            id={progressId}
            data-testid="full-progress"
            className="mt-1 block h-2 w-full"
            max={progress?.total ?? 1}
            value={progress ? progress.done : undefined}
          />
        </div>
      )}
      {error && (
        <p role="alert" className="mt-3 text-sm text-red-800 dark:text-red-300">
          {error}
        </p>
      )}
      {result && (
        <div className="mt-4" data-testid="full-result" data-width={result.denoised.width} data-height={result.denoised.height} data-tiles={result.tiles}>
          <p className="text-sm text-slate-700 dark:text-slate-300">
            {result.denoised.width}×{result.denoised.height} on <span className="font-mono">{result.backend}</span> in{" "}
            {(result.ms / 1000).toFixed(1)} s{result.backend === "server" ? "" : ` (${result.tiles} ${result.tiles === 1 ? "tile" : "tiles"})`}. PSNR against the original: noisy{" "}
            <span data-testid="full-psnr-noisy">{formatDb(result.psnrNoisy)}</span>, denoised{" "}
            <span data-testid="full-psnr-denoised">{formatDb(result.psnrDenoised)}</span>.
          </p>
          <label className="mt-2 flex items-center gap-2 text-sm">
            <input type="checkbox" checked={actualSize} onChange={(e) => setActualSize(e.target.checked)} />
            Actual pixels (scroll to look around)
          </label>
          <div className={`mt-2 ${actualSize ? "max-h-[70vh] overflow-auto" : ""}`}>
            <div
              className="mx-auto"
              style={actualSize ? { width: result.denoised.width } : { maxWidth: `calc(75vh * ${result.denoised.width / result.denoised.height})` }}
            >
              <Compare before={result.noisy} after={result.denoised} beforeLabel="Noisy" afterLabel="Denoised" pixelated={actualSize} />
            </div>
          </div>
          <button type="button" className={`${SMALL_BUTTON} mt-2`} onClick={() => downloadPng(result.denoised, `${baseName}-denoised-${result.denoised.width}x${result.denoised.height}.png`)}>
            Download the whole denoised photo (PNG)
          </button>
        </div>
      )}
    </Card>
  );
}
