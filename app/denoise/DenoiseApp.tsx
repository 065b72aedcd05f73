"use client";

import { type DragEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { BackendBadge } from "@/app/_components/BackendBadge";
import { Card } from "@/app/_components/Card";
import { ErrorAlert } from "@/app/_components/ErrorAlert";
import { useModels } from "@/lib/browser/use-models";
import { daeTileOptions, FACE_SIDE, MODELS } from "@/lib/catalogue";
import { errorMessage } from "@/lib/errors";
import { NOISE_KINDS, type NoiseKind } from "@/lib/noise";
import { DEFAULT_TILE } from "@/lib/tiling";
import { scaledTo, type Size } from "@/lib/working-size";
import { PRIMARY_BUTTON, SMALL_BUTTON } from "@/app/_components/buttons";
import { CloseLook } from "./CloseLook";
import { downloadPng } from "./format";
import { loadPhoto, type Photo, PhotoError, resizeImage } from "./photo";
import { ScoreTable } from "./ScoreTable";
import { computeScores, type Scores } from "./scores";
import { daeServerRunner } from "./server-runner";
import { type SharedResult, ShareButton } from "./ShareButton";
import { useWholePhoto, type WholeRun } from "./use-whole-photo";
import { type LoupeCentre, loupeRect, WholePhotoView } from "./WholePhotoView";

const PAGE_MODELS = [MODELS.dae];

export interface Sample {
  src: string;
  alt: string;
}

const NOISE_LABELS: Record<NoiseKind, string> = {
  none: "None (my photo is already noisy)",
  gaussian: "Gaussian",
  "salt-pepper": "Salt and pepper",
  masking: "Masking (zeroed values)",
};

const LEVEL_HELP: Record<NoiseKind, string> = {
  none: "",
  gaussian: "standard deviation σ",
  "salt-pepper": "fraction of pixels set to black or white",
  masking: "fraction of values set to zero",
};

const DEFAULT_LEVELS: Record<NoiseKind, number> = { none: 0, gaussian: 0.1, "salt-pepper": 0.1, masking: 0.25 };

/** The working size finishes in about this long on the visitor's device. */
const BUDGET_MS = 2000;
/** A shared result is at most this many pixels a side (the share API takes 1024, in under 4 MB). */
const SHARE_MAX_SIDE = 512;

const sizeLabel = ({ width, height }: Size) => `${width}×${height}`;
const sizeValue = ({ width, height }: Size) => `${width}x${height}`;

function seconds(ms: number | null): string {
  if (ms === null) return "time unknown";
  return ms < 1500 ? "about a second" : `about ${Math.round(ms / 1000)} s`;
}

/** Test and measurement settings from the URL: `?tile=N` (tile size), `?budget=ms` (the working size's time). */
function useUrlNumber(name: string, fallback: number, min: number, max: number): number {
  const [value, setValue] = useState(fallback);
  useEffect(() => {
    const n = Number(new URLSearchParams(window.location.search).get(name));
    // Reading the URL has to wait for the browser.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    if (Number.isInteger(n) && n >= min && n <= max) setValue(n);
  }, [name, min, max]);
  return value;
}

/** The finished run, made small enough to share (the noisy and the denoised photo, never the original), with its scores. */
async function shareable(run: WholeRun, scores: Scores): Promise<SharedResult> {
  const { width, height } = run.size;
  const small = scaledTo(run.size, SHARE_MAX_SIDE);
  const fit = async (image: WholeRun["noisy"]) => (small.width === width && small.height === height ? image : resizeImage(image, small.width, small.height));
  const metrics = scores.kind === "reference" ? { psnrNoisy: scores.psnrNoisy, psnrDenoised: scores.psnrDenoised, ssimNoisy: scores.ssimNoisy ?? NaN, ssimDenoised: scores.ssimDenoised ?? NaN } : null;
  return { noisy: await fit(run.noisy), denoised: await fit(run.denoised), noise: run.noise, metrics };
}

export function DenoiseApp({ modelsBase, samples }: { modelsBase: string; samples: Sample[] }) {
  const [photo, setPhoto] = useState<Photo | null>(null);
  const [photoId, setPhotoId] = useState(0);
  const [kind, setKind] = useState<NoiseKind>("gaussian");
  const [level, setLevel] = useState(DEFAULT_LEVELS.gaussian);
  const [seed, setSeed] = useState(1);
  const [message, setMessage] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState(false);
  const [loupe, setLoupe] = useState<LoupeCentre>({ fx: 0.5, fy: 0.5 });
  const [shared, setShared] = useState<{ run: WholeRun; result: SharedResult } | null>(null);
  const uploadId = useId();
  const kindId = useId();
  const levelId = useId();
  const sizeId = useId();
  const progressId = useId();

  const models = useModels({ modelsBase, models: PAGE_MODELS, server: daeServerRunner(modelsBase) });
  const { status } = models;
  const tileSize = useUrlNumber("tile", DEFAULT_TILE, 16, 1024);
  const budgetMs = useUrlNumber("budget", BUDGET_MS, 1, 600_000);
  const tiles = useMemo(() => daeTileOptions(status?.models[0]?.config, tileSize), [status?.models, tileSize]);
  const noise = useMemo(() => ({ kind, level: kind === "none" ? 0 : level }), [kind, level]);
  const whole = useWholePhoto({ photo, photoId, noise, seed, models, tiles, budgetMs });
  const run = whole.shown;

  // --- the photo
  const openPhoto = useCallback(async (file: Blob, name: string) => {
    try {
      const next = await loadPhoto(file, name);
      setPhoto((previous) => {
        previous?.bitmap.close();
        return next;
      });
      setPhotoId((id) => id + 1);
      setLoupe({ fx: 0.5, fy: 0.5 });
      setMessage(null);
    } catch (error) {
      setMessage(error instanceof PhotoError ? error.message : `Could not open “${name}”: ${errorMessage(error)}`);
    }
  }, []);

  const openSample = useCallback(
    async (sample: Sample) => {
      try {
        const response = await fetch(sample.src);
        await openPhoto(await response.blob(), sample.src.split("/").pop() ?? "sample.png");
      } catch {
        setMessage("The sample face could not be loaded.");
      }
    },
    [openPhoto],
  );

  // Start with the first sample face, so there is something to look at straight away.
  const started = useRef(false);
  useEffect(() => {
    if (started.current || samples.length === 0) return;
    started.current = true;
    void openSample(samples[0]);
  }, [samples, openSample]);

  // Paste anywhere on the page.
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/")) ?? event.clipboardData?.files[0];
      if (!file) return;
      event.preventDefault();
      void openPhoto(file, file.name || "pasted image");
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }, [openPhoto]);

  // --- scores and sharing of a finished run
  const done = run?.state === "done" ? run : null;
  const scores = useMemo(() => (done ? computeScores({ ...done, hasReference: done.noise.kind !== "none" }) : null), [done]);
  useEffect(() => {
    if (!done || !scores) return;
    let live = true;
    shareable(done, scores).then((result) => live && setShared({ run: done, result }), () => {});
    return () => {
      live = false;
    };
  }, [done, scores]);
  const shareResult = shared && shared.run === done ? shared.result : null;

  // --- drag and drop
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDropTarget(false);
    const file = event.dataTransfer.files[0];
    if (file) void openPhoto(file, file.name);
  };

  const baseName = (photo?.name ?? "photo").replace(/\.[^.]*$/, "") || "photo";
  const rect = run ? loupeRect(loupe, run.size.width, run.size.height, FACE_SIDE) : null;

  return (
    <div className="mt-6 grid grid-cols-1 gap-6">
      {/* The last run's time holds only for the backend that ran it. */}
      <BackendBadge status={status} lastMs={done && done.backend === status?.backend ? (done.ms ?? null) : null} choice={models.choice} onChoice={models.onChoice} />
      <ErrorAlert message={message ?? whole.error} onDismiss={() => (message ? setMessage(null) : whole.dismissError())} />

      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-[22rem_minmax(0,1fr)]">
        <div className="grid min-w-0 grid-cols-1 gap-6">
          <Card title="1. Choose a photo">
            <label
              htmlFor={uploadId}
              onDragOver={(e) => {
                e.preventDefault();
                setDropTarget(true);
              }}
              onDragLeave={() => setDropTarget(false)}
              onDrop={onDrop}
              className={`mt-3 flex cursor-pointer flex-col items-center justify-center rounded-lg border-2 border-dashed px-4 py-5 text-center focus-within:ring-2 focus-within:ring-blue-600 ${
                dropTarget ? "border-blue-700 bg-blue-50 dark:bg-blue-950" : "border-slate-400 dark:border-slate-600"
              }`}
            >
              <span className="font-medium text-blue-800 underline dark:text-blue-300">Upload a photo</span>
              <span className="mt-1 text-sm text-slate-700 dark:text-slate-300">or drop it here, or paste it (Ctrl+V). JPEG, PNG, WebP or GIF, up to 25 megapixels.</span>
              <input
                id={uploadId}
                type="file"
                accept="image/*"
                data-testid="upload"
                className="sr-only"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  if (file) void openPhoto(file, file.name);
                  e.target.value = "";
                }}
              />
            </label>
            <fieldset className="mt-3">
              <legend className="text-sm font-medium">Or pick a sample face</legend>
              <div className="mt-2 grid grid-cols-6 gap-2">
                {samples.map((s, i) => (
                  <button
                    key={s.src}
                    type="button"
                    onClick={() => void openSample(s)}
                    aria-label={`Sample face ${i + 1}`}
                    aria-pressed={photo?.name === s.src.split("/").pop()}
                    className="overflow-hidden rounded-md border-2 border-transparent focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 aria-pressed:border-blue-700"
                  >
                    {/* eslint-disable-next-line @next/next/no-img-element -- 64x64 PNGs, shown as they are */}
                    <img src={s.src} alt={s.alt} width={64} height={64} className="block h-auto w-full [image-rendering:pixelated]" />
                  </button>
                ))}
              </div>
            </fieldset>
            {photo && (
              <p className="mt-3 text-sm text-slate-700 dark:text-slate-300" data-testid="photo-name">
                <span className="font-medium text-slate-900 dark:text-slate-100">{photo.name}</span>, {photo.width}×{photo.height}
              </p>
            )}
          </Card>

          <Card title="2. Add noise">
            <div className="mt-3 grid gap-3">
              <div className="flex flex-wrap items-center gap-2">
                <label htmlFor={kindId} className="w-16 text-sm font-medium">
                  Kind
                </label>
                <select
                  id={kindId}
                  data-testid="noise-kind"
                  value={kind}
                  onChange={(e) => {
                    const next = e.target.value as NoiseKind;
                    setKind(next);
                    setLevel(DEFAULT_LEVELS[next]);
                  }}
                  className="min-w-0 flex-1 rounded border border-slate-400 bg-white px-2 py-1.5 dark:border-slate-600 dark:bg-slate-950"
                >
                  {NOISE_KINDS.map((k) => (
                    <option key={k} value={k}>
                      {NOISE_LABELS[k]}
                    </option>
                  ))}
                </select>
              </div>
              <div className="flex flex-wrap items-center gap-2">
                <label htmlFor={levelId} className="w-16 text-sm font-medium">
                  Level
                </label>
                <input
                  id={levelId}
                  type="range"
                  data-testid="noise-level"
                  min={0}
                  max={kind === "gaussian" ? 0.5 : 0.9}
                  step={0.01}
                  value={kind === "none" ? 0 : level}
                  disabled={kind === "none"}
                  onChange={(e) => setLevel(Number(e.target.value))}
                  aria-valuetext={`${level.toFixed(2)}, ${LEVEL_HELP[kind]}`}
                  className="min-w-0 flex-1 accent-blue-700"
                />
                <output htmlFor={levelId} className="w-12 text-right font-mono tabular-nums">
                  {(kind === "none" ? 0 : level).toFixed(2)}
                </output>
              </div>
              <p className="text-sm text-slate-700 dark:text-slate-300">
                {kind === "none" ? "The photo goes to the model as it is: there is no clean original to score against." : `Level: ${LEVEL_HELP[kind]}.`}
              </p>
              <div className="flex flex-wrap items-center gap-3">
                <button type="button" className={SMALL_BUTTON} onClick={() => setSeed((s) => (s * 1103515245 + 12345) >>> 0 || 1)} disabled={kind === "none"}>
                  New noise
                </button>
                <span className="text-sm text-slate-700 dark:text-slate-300">
                  seed <span className="font-mono">{seed}</span>
                </span>
              </div>
            </div>
          </Card>
        </div>

        <Card title="3. Denoised" aria-busy={whole.busy} data-testid="whole">
          {run ? (
            <div
              className="mt-3"
              data-testid="full-result"
              data-state={run.state}
              data-width={run.size.width}
              data-height={run.size.height}
              data-tiles={run.total}
            >
              <p className="mb-2 text-sm text-slate-700 dark:text-slate-300" data-testid="full-status">
                {run.state === "done"
                  ? `${sizeLabel(run.size)} on ${run.backend} in ${((run.ms ?? 0) / 1000).toFixed(1)} s${run.backend === "server" ? "" : ` (${run.total} ${run.total === 1 ? "tile" : "tiles"})`}.`
                  : `${sizeLabel(run.size)}: tile ${run.done} of ${run.total}…`}
              </p>
              <WholePhotoView run={run} loupe={loupe} onLoupe={setLoupe} />
            </div>
          ) : (
            <p className="mt-3 text-sm text-slate-700 dark:text-slate-300">
              {status?.phase === "failed" ? "Nothing can run the model: see above." : whole.waiting ? "Not denoised yet: press Denoise." : models.ready ? "Denoising…" : "Getting the model ready…"}
            </p>
          )}

          <div className="mt-3 flex flex-wrap items-center gap-3">
            <label htmlFor={sizeId} className="text-sm font-medium">
              Size
            </label>
            <select
              id={sizeId}
              data-testid="full-size"
              value={whole.target ? sizeValue(whole.target) : ""}
              disabled={whole.choices.length < 2}
              onChange={(e) => {
                const choice = whole.choices.find((c) => sizeValue(c.size) === e.target.value);
                if (choice) whole.choose(choice.size);
              }}
              // A select is as wide as its longest option ("320×400 (quick here), its own size, about a second"),
              // which does not wrap: on a phone, max-w-full (and the page's grid-cols-1 tracks, which content cannot
              // widen) keep it to the screen's width instead of widening the page.
              className="max-w-full rounded border border-slate-400 bg-white px-1.5 py-1 text-sm dark:border-slate-600 dark:bg-slate-950"
            >
              {whole.choices.map(({ size, ms, unavailable }, i) => (
                <option key={sizeValue(size)} value={sizeValue(size)} disabled={unavailable !== undefined}>
                  {`${sizeLabel(size)}${i === 0 ? " (quick here)" : ""}${photo && size.width === photo.width && size.height === photo.height ? ", its own size" : ""}, ${unavailable ?? seconds(ms)}`}
                </option>
              ))}
            </select>
            {whole.running && (
              <button type="button" className={SMALL_BUTTON} onClick={whole.cancel} data-testid="full-cancel">
                Cancel
              </button>
            )}
            {whole.waiting && whole.target && (
              <button type="button" className={PRIMARY_BUTTON} onClick={whole.runTarget} disabled={whole.targetTooBig} data-testid="denoise-full">
                Denoise at {sizeLabel(whole.target)} ({seconds(whole.targetEstimate)})
              </button>
            )}
          </div>
          {whole.running && run?.state === "running" && (
            <div className="mt-2">
              <label htmlFor={progressId} className="sr-only">
                Tiles done
              </label>
              <progress id={progressId} data-testid="full-progress" className="block h-2 w-full" max={run.total} value={run.done} />
            </div>
          )}

          {done && (
            <div className="mt-4 grid items-start gap-4 sm:grid-cols-2">
              <ScoreTable scores={scores} hasReference={done.noise.kind !== "none"} testIds="full-" caption="The whole photo" />
              <div>
                <button
                  type="button"
                  className={SMALL_BUTTON}
                  onClick={() => downloadPng(done.denoised, `${baseName}-denoised-${done.size.width}x${done.size.height}.png`)}
                >
                  Download the whole denoised photo (PNG)
                </button>
                <ShareButton result={shareResult} />
              </div>
            </div>
          )}
        </Card>
      </div>

      <Card
        title="4. A close look"
        intro={
          <>
            The square under the yellow frame, at the model&apos;s own scale: {FACE_SIDE}×{FACE_SIDE} pixels of the photo as it was denoised, each shown
            large.
          </>
        }
      >
        {run && rect ? <CloseLook run={run} rect={rect} tilesDone={run.done} /> : <p className="mt-3 text-sm text-slate-700 dark:text-slate-300">Waiting for the photo…</p>}
      </Card>
    </div>
  );
}
