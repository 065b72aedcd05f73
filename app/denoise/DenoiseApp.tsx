"use client";

import { type DragEvent, useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { BackendBadge } from "@/app/_components/BackendBadge";
import { Card } from "@/app/_components/Card";
import { ErrorAlert } from "@/app/_components/ErrorAlert";
import type { BackendName } from "@/lib/browser/backends";
import { useLatestWins, useModels } from "@/lib/browser/use-models";
import { daeTileOptions, FACE_SIDE, MODELS } from "@/lib/catalogue";
import { errorMessage } from "@/lib/errors";
import { centredCrop, type Crop, floatsToBytes, type PixelImage, pixelImage, toFloats } from "@/lib/image";
import { psnr, ssim } from "@/lib/metrics";
import { addNoise, NOISE_KINDS, type NoiseKind } from "@/lib/noise";
import { DEFAULT_TILE } from "@/lib/tiling";
import { Compare } from "./Compare";
import { CropSelector, SMALL_BUTTON } from "./CropSelector";
import { downloadPng, formatDb } from "./format";
import { FullResPanel } from "./FullResPanel";
import { cropToModelInput, loadPhoto, type Photo, PhotoError } from "./photo";
import { PixelCanvas } from "./PixelCanvas";
import { daeServerRunner } from "./server-runner";
import { ShareButton } from "./ShareButton";

type ByteImage = PixelImage<Uint8ClampedArray>;
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

interface Result {
  clean: ByteImage;
  noisy: ByteImage;
  denoised: ByteImage;
  ms: number;
  backend: BackendName;
}

interface Metrics {
  psnrNoisy: number;
  psnrDenoised: number;
  ssimNoisy: number;
  ssimDenoised: number;
}

function computeMetrics({ clean, noisy, denoised }: Result): Metrics {
  return { psnrNoisy: psnr(clean, noisy), psnrDenoised: psnr(clean, denoised), ssimNoisy: ssim(clean, noisy), ssimDenoised: ssim(clean, denoised) };
}

/** One row of the quality table: PSNR and SSIM of an image against the original ("–" until there is a result). */
function MetricRow({ label, testId, psnr, ssim, emphasis = false }: { label: string; testId: string; psnr?: number; ssim?: number; emphasis?: boolean }) {
  return (
    <tr className={emphasis ? "font-semibold" : undefined}>
      <th scope="row" className={`py-1 text-left ${emphasis ? "" : "font-normal"}`}>
        {label}
      </th>
      <td className="py-1 pl-4 text-right" data-testid={`psnr-${testId}`}>
        {psnr === undefined ? "–" : formatDb(psnr)}
      </td>
      <td className="py-1 pl-4 text-right" data-testid={`ssim-${testId}`}>
        {ssim === undefined ? "–" : ssim.toFixed(3)}
      </td>
    </tr>
  );
}

declare global {
  interface Window {
    /** Timings for tests and measurements: ms since navigation start. */
    __denoise?: { firstDenoisedAt?: number; backend?: string; inferenceMs?: number[]; modelSha256?: string };
  }
}

export function DenoiseApp({ modelsBase, samples }: { modelsBase: string; samples: Sample[] }) {
  const [photo, setPhoto] = useState<Photo | null>(null);
  const [photoId, setPhotoId] = useState(0);
  const [crop, setCrop] = useState<Crop | null>(null);
  const [clean, setClean] = useState<ByteImage | null>(null);
  const [kind, setKind] = useState<NoiseKind>("gaussian");
  const [level, setLevel] = useState(DEFAULT_LEVELS.gaussian);
  const [seed, setSeed] = useState(1);
  const [result, setResult] = useState<Result | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [dropTarget, setDropTarget] = useState(false);
  const [tileSize, setTileSize] = useState(DEFAULT_TILE);
  const uploadId = useId();
  const kindId = useId();
  const levelId = useId();

  const models = useModels({ modelsBase, models: PAGE_MODELS, server: daeServerRunner(modelsBase) });
  const { client, status } = models;
  // ?tile=N: the whole-photo tile size (tests use small tiles on small photos).
  useEffect(() => {
    const tile = Number(new URLSearchParams(window.location.search).get("tile"));
    // Reading the URL has to wait for the browser.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    if (Number.isInteger(tile) && tile >= 16 && tile <= 1024) setTileSize(tile);
  }, []);

  // --- the photo
  const openPhoto = useCallback(async (file: Blob, name: string) => {
    try {
      const next = await loadPhoto(file, name);
      setPhoto((previous) => {
        previous?.bitmap.close();
        return next;
      });
      setPhotoId((id) => id + 1);
      setCrop(centredCrop(next.width, next.height));
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

  // --- crop -> 64x64 clean input
  useEffect(() => {
    if (!photo || !crop) return;
    let current = true;
    cropToModelInput(photo, crop)
      .then((image) => current && setClean(image))
      .catch((error) => current && setMessage(`Could not crop the photo: ${errorMessage(error)}`));
    return () => {
      current = false;
    };
  }, [photo, crop]);

  const noise = useMemo(() => ({ kind, level: kind === "none" ? 0 : level }), [kind, level]);
  const noisy = useMemo(() => (clean ? addNoise(clean, noise, seed) : null), [clean, noise, seed]);

  // --- denoising, latest request wins (the slider can move faster than the model runs)
  const denoise = useLatestWins(async (job: { clean: ByteImage; noisy: ByteImage }) => {
    if (!client) return;
    try {
      const { data, width, height } = toFloats(job.noisy);
      const out = await client.predict(MODELS.dae.key, { data, shape: [1, height, width, 3] });
      const denoised = pixelImage(floatsToBytes(out.value.data), width, height);
      setResult({ clean: job.clean, noisy: job.noisy, denoised, ms: out.ms, backend: out.backend });
      const timings = (window.__denoise ??= {});
      timings.firstDenoisedAt ??= performance.now();
      timings.backend = out.backend;
      (timings.inferenceMs ??= []).push(out.ms);
      timings.modelSha256 = client.status.models[0]?.sha256;
    } catch (error) {
      // A client disposed meanwhile (the backend was switched) has nothing to report.
      if (!client.disposed) setMessage(`Denoising failed: ${errorMessage(error)}`);
    }
  });
  const { submit } = denoise;
  useEffect(() => {
    if (models.ready && clean && noisy) submit({ clean, noisy });
  }, [models.ready, status?.backend, clean, noisy, submit]);

  const metrics = useMemo(() => (result ? computeMetrics(result) : null), [result]);
  const shareable = useMemo(() => (result ? { noisy: result.noisy, denoised: result.denoised, noise, metrics } : null), [result, noise, metrics]);
  const upToDate = result !== null && result.noisy === noisy && !denoise.busy;
  const tiles = daeTileOptions(status?.models[0]?.config, tileSize);
  const msPerPixel = result && result.backend !== "server" ? result.ms / (FACE_SIDE * FACE_SIDE) : null;

  // --- drag and drop
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDropTarget(false);
    const file = event.dataTransfer.files[0];
    if (file) void openPhoto(file, file.name);
  };

  return (
    <div className="mt-6 grid gap-6">
      <BackendBadge status={status} lastMs={result?.ms ?? null} choice={models.choice} onChoice={models.onChoice} />
      <ErrorAlert message={message} onDismiss={() => setMessage(null)} />

      <div className="grid items-start gap-6 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
        <div className="grid gap-6">
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
            {photo && crop && (
              <div className="mt-4">
                <p className="mb-2 text-sm text-slate-700 dark:text-slate-300">
                  <span className="font-medium text-slate-900 dark:text-slate-100">{photo.name}</span>, {photo.width}×{photo.height}. The square is
                  resized to the model&apos;s {FACE_SIDE}×{FACE_SIDE} input.
                </p>
                <CropSelector key={photoId} photo={photo} crop={crop} onChange={setCrop} />
              </div>
            )}
          </Card>
        </div>

        <div className="grid gap-6">
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
              <p className="text-sm text-slate-700 dark:text-slate-300">{kind === "none" ? "The photo goes to the model as it is." : `Level: ${LEVEL_HELP[kind]}.`}</p>
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

          <Card title="3. Denoised" aria-busy={!upToDate} data-testid="results">
            <div className="mt-3 grid grid-cols-3 gap-2 sm:gap-4">
              {(
                [
                  ["Original", clean, "original"],
                  ["Noisy", noisy, "noisy"],
                  ["Denoised", result?.denoised ?? null, "denoised"],
                ] as const
              ).map(([label, image, testId]) => (
                <figure key={label} className="m-0">
                  <PixelCanvas image={image} label={`${label}, ${FACE_SIDE}×${FACE_SIDE}`} testId={testId} className="rounded-md" />
                  <figcaption className="mt-1 text-center text-sm font-medium">{label}</figcaption>
                </figure>
              ))}
            </div>
            <div className="mt-4 grid items-start gap-6 sm:grid-cols-2">
              <div>
                <table className="w-full text-sm tabular-nums">
                  <caption className="sr-only">Quality against the original</caption>
                  <thead>
                    <tr className="border-b border-slate-300 text-left dark:border-slate-700">
                      <th scope="col" className="py-1 font-medium">
                        vs the original
                      </th>
                      <th scope="col" className="py-1 pl-4 text-right font-medium">
                        PSNR (dB)
                      </th>
                      <th scope="col" className="py-1 pl-4 text-right font-medium">
                        SSIM
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <MetricRow label="Noisy" testId="noisy" psnr={metrics?.psnrNoisy} ssim={metrics?.ssimNoisy} />
                    <MetricRow label="Denoised" testId="denoised" psnr={metrics?.psnrDenoised} ssim={metrics?.ssimDenoised} emphasis />
                  </tbody>
                </table>
                <button
                  type="button"
                  className={`${SMALL_BUTTON} mt-3`}
                  disabled={!result}
                  data-testid="download"
                  onClick={() => result && downloadPng(result.denoised, `${(photo?.name ?? "face").replace(/\.[^.]*$/, "")}-denoised-64.png`)}
                >
                  Download the denoised face (PNG)
                </button>
                <ShareButton result={upToDate ? shareable : null} />
              </div>
              <Compare before={result?.noisy ?? null} after={result?.denoised ?? null} beforeLabel="Noisy" afterLabel="Denoised" />
            </div>
          </Card>
        </div>
      </div>

      {photo && <FullResPanel key={photoId} photo={photo} noise={noise} seed={seed} client={client} status={status} tiles={tiles} msPerPixel={msPerPixel} />}
    </div>
  );
}
