"use client";

import { useCallback, useEffect, useId, useMemo, useRef, useState } from "react";
import { BackendBadge } from "@/app/_components/BackendBadge";
import { Card } from "@/app/_components/Card";
import { ErrorAlert } from "@/app/_components/ErrorAlert";
import type { InferenceClient } from "@/lib/browser/inference-client";
import { useLatestWins, useModels } from "@/lib/browser/use-models";
import { DIGIT_PIXELS, EMBEDDINGS, type EmbeddingId, LATENT_DIM, MODELS, RUNS } from "@/lib/catalogue";
import { errorMessage } from "@/lib/errors";
import type { MnistResult } from "@/lib/evaluation";
import { NearestCodes } from "@/lib/knn";
import { gridAxis, gridPoints, type GridSpacing, interpolate } from "@/lib/latent";
import { createRandom } from "@/lib/random";
import { reparameterize, vaeLossTerms, type VaeLossTerms } from "@/lib/vae-loss";
import { type Embedding, fetchEmbeddings } from "./codes";
import { DigitCanvas, drawDigit } from "./DigitCanvas";
import { type DrawnPath, DigitPath, spread } from "./DigitPath";
import { DrawPad } from "./DrawPad";
import { DIGIT_COLOURS, formatPoint as formatZ, type GridOverlay, LatentPlane, type Point } from "./LatentPlane";
import { vaeServerRunner } from "./server-runner";

declare global {
  interface Window {
    /** Timings for tests and measurements (ms). hoverMs: pointer event -> decoded digit painted. */
    __latent?: { backend?: string; hoverMs: number[]; inferenceMs: number[]; decoded: number };
  }
}

const INTERPOLATION_STEPS = 10;
const PRIOR_SAMPLES = 16;
/** The drawn digit's label: the vote of its nearest test codes, as the 5-NN accuracies are measured. */
const NEIGHBOURS = 5;
/** The digit on show before the pointer arrives: the first MNIST test digit (a 7) at its code's mean. */
const FIRST_DIGIT = 0;
const GRID_SIZES = [5, 10, 15, 20];

const BUTTON = "rounded border border-slate-400 px-3 py-1 text-sm hover:bg-slate-100 disabled:opacity-50 dark:border-slate-600 dark:hover:bg-slate-800";

const PAGE_MODELS = [MODELS.vaeDecoder, MODELS.vaeEncoder];

/** n draws of z ~ N(0, I), a fresh seed each time. */
function priorSamples(n: number): Point[] {
  const random = createRandom((Math.random() * 2 ** 32) >>> 0);
  return Array.from({ length: n }, () => [random.normal(), random.normal()]);
}

/** A fresh draw ε ~ N(0, I) for the drawn digit's sample. */
const random = createRandom((Math.random() * 2 ** 32) >>> 0);
const drawEpsilon = (): Point => [random.normal(), random.normal()];

/** One hover decode: where, when the pointer got there (for the timings), and what the point is, if known. */
interface DecodeJob {
  z: Point;
  t: number;
  note?: string;
}

/** Decodes a batch of points on whatever backend the client is on. */
async function decodeBatch(client: InferenceClient, points: Point[]): Promise<{ pixels: Float32Array; ms: number }> {
  const out = await client.predict(MODELS.vaeDecoder.key, { data: Float32Array.from(points.flat()), shape: [points.length, LATENT_DIM] });
  return { pixels: out.value.data, ms: out.ms };
}

/**
 * `knn5`: the 5-NN accuracy of each embedding's 2-D test codes, and `vaeLoss`: the VAE's test loss terms
 * (models/evaluation.json), read by the server page.
 */
export function LatentApp({ modelsBase, knn5, vaeLoss }: { modelsBase: string; knn5: MnistResult["knn5"] | null; vaeLoss: VaeLossTerms | null }) {
  const [embeddings, setEmbeddings] = useState<Partial<Record<EmbeddingId, Embedding>>>({});
  const [codesError, setCodesError] = useState<string | null>(null);
  const [hidden, setHidden] = useState<boolean[]>(() => Array(10).fill(false));
  const [hover, setHover] = useState<Point | null>(null);
  const [decoded, setDecoded] = useState<{ z: Point; note?: string } | null>(null);
  const [lastMs, setLastMs] = useState<number | null>(null);
  const [pins, setPins] = useState<Point[]>([]);
  const [strip, setStrip] = useState<Float32Array | null>(null);
  const [showGrid, setShowGrid] = useState(false);
  const [gridSize, setGridSize] = useState(10);
  const [spacing, setSpacing] = useState<GridSpacing>("normal");
  const [extent, setExtent] = useState(3);
  const [gridOpacity, setGridOpacity] = useState(0.85);
  const [grid, setGrid] = useState<GridOverlay | null>(null);
  const [samples, setSamples] = useState<{ points: Point[]; pixels: Float32Array } | null>(null);
  const [drawn, setDrawn] = useState<DrawnPath | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const ids = { size: useId(), spacing: useId(), extent: useId(), opacity: useId() };
  const decodedRef = useRef<HTMLCanvasElement>(null);
  // On narrow screens the big digit is below the plane, out of sight under a finger: a small copy in the corner.
  const miniRef = useRef<HTMLCanvasElement>(null);

  // --- the precomputed codes
  useEffect(() => {
    let current = true;
    fetchEmbeddings(modelsBase)
      .then((list) => current && setEmbeddings(Object.fromEntries(list.map((e) => [e.id, e]))))
      .catch((error: unknown) => current && setCodesError(`The precomputed codes could not be loaded: ${errorMessage(error)}`));
    return () => {
      current = false;
    };
  }, [modelsBase]);

  // --- the models: the VAE's decoder (kept warm for hovering) and encoder (for the drawing pad)
  const models = useModels({ modelsBase, models: PAGE_MODELS, server: vaeServerRunner(modelsBase) });
  const { client, status, ready } = models;

  const fail = useCallback((what: string, error: unknown) => setMessage(`${what} failed: ${errorMessage(error)}`), []);

  // --- hover decoding: the latest point wins (the pointer moves faster than a slow backend decodes)
  const { submit: decodeHover } = useLatestWins(async ({ z, t, note }: DecodeJob) => {
    if (!client) return;
    try {
      const out = await client.predict(MODELS.vaeDecoder.key, { data: Float32Array.from(z), shape: [1, LATENT_DIM] });
      const canvas = decodedRef.current;
      if (miniRef.current) drawDigit(miniRef.current, out.value.data);
      if (canvas) {
        drawDigit(canvas, out.value.data);
        canvas.dataset.z = `${z[0]},${z[1]}`;
      }
      const timings = (window.__latent ??= { hoverMs: [], inferenceMs: [], decoded: 0 });
      timings.hoverMs.push(performance.now() - t);
      timings.inferenceMs.push(out.ms);
      timings.backend = out.backend;
      timings.decoded += 1;
      if (canvas) canvas.dataset.decoded = String(timings.decoded);
      setDecoded({ z, note });
      setLastMs(out.ms);
    } catch (error) {
      if (!client.disposed) fail("Decoding", error);
    }
  });

  // What to show: the point under the pointer, else (before the pointer arrives) a real digit's code. The pointer
  // may move before a backend is ready or before the plane has its view; its latest point is kept for then.
  const vae = embeddings[RUNS.vae.name];
  const firstDigit = useMemo<Omit<DecodeJob, "t"> | null>(
    () =>
      vae && vae.labels.length > FIRST_DIGIT
        ? { z: [vae.codes[2 * FIRST_DIGIT], vae.codes[2 * FIRST_DIGIT + 1]], note: `test digit ${FIRST_DIGIT + 1}, a ${vae.labels[FIRST_DIGIT]}` }
        : null,
    [vae],
  );
  const wanted = useRef<DecodeJob | null>(null);
  const backendNow = status?.backend;
  useEffect(() => {
    // On a new backend too (a fallback or a switch by hand), so the digit on screen is the new backend's.
    const job = wanted.current ?? (firstDigit && { ...firstDigit, t: performance.now() });
    if (ready && backendNow && job) decodeHover(job);
  }, [ready, backendNow, firstDigit, decodeHover]);

  const onHover = useCallback(
    (z: Point | null, t: number) => {
      setHover(z);
      if (!z) return;
      wanted.current = { z, t };
      if (ready) decodeHover(wanted.current);
    },
    [ready, decodeHover],
  );
  const onPick = useCallback((z: Point) => setPins((p) => [...p.slice(-7), z]), []);

  // --- interpolation between the last two pins
  const lastTwo = pins.length >= 2 ? pins.slice(-2) : null;
  const stripKey = lastTwo ? JSON.stringify(lastTwo) : "";
  useEffect(() => {
    if (!ready || !client || !stripKey) return;
    let current = true;
    const [a, b] = JSON.parse(stripKey) as [Point, Point];
    decodeBatch(client, interpolate(a, b, INTERPOLATION_STEPS))
      .then(({ pixels }) => current && setStrip(pixels))
      .catch((error) => current && fail("Interpolation", error));
    return () => {
      current = false;
    };
  }, [ready, client, stripKey, fail]);

  // --- the manifold grid
  useEffect(() => {
    if (!ready || !client || !showGrid) return;
    let current = true;
    const axis = gridAxis(gridSize, spacing, extent);
    decodeBatch(client, gridPoints(gridSize, spacing, extent))
      .then(({ pixels }) => current && setGrid({ xs: axis, ys: axis, pixels }))
      .catch((error) => current && fail("The manifold", error));
    return () => {
      current = false;
    };
  }, [ready, client, showGrid, gridSize, spacing, extent, fail]);

  const samplePrior = async () => {
    if (!client) return;
    const points = priorSamples(PRIOR_SAMPLES);
    try {
      setSamples({ points, pixels: (await decodeBatch(client, points)).pixels });
    } catch (error) {
      fail("Sampling", error);
    }
  };

  // --- the drawing pad: encode, sample, decode, score (the "how it works" strip)
  /** Draws ε, decodes the sample and scores it; a newer drawing or sample meanwhile wins. */
  const sampleAndDecode = async (from: Omit<DrawnPath, "epsilon" | "z" | "decoded" | "loss">) => {
    if (!client) return;
    const epsilon = drawEpsilon();
    const z = reparameterize(from.mean, from.logVar, epsilon) as Point;
    const path: DrawnPath = { ...from, epsilon, z, decoded: null, loss: null };
    setDrawn(path);
    const { pixels } = await decodeBatch(client, [z]);
    const loss = vaeLossTerms(path.input, pixels, path.mean, path.logVar);
    setDrawn((d) => (d?.input === path.input && d.epsilon === epsilon ? { ...d, decoded: pixels, loss } : d));
  };

  const onDigit = async (drawing: Float32Array) => {
    if (!client) return;
    // 8-bit, as MNIST's pixels are (and as the input canvas shows them, so the shown digit is the encoded one).
    const input = Float32Array.from(drawing, (v) => Math.round(v * 255) / 255);
    try {
      const out = await client.predictAll(MODELS.vaeEncoder.key, { data: input, shape: [1, DIGIT_PIXELS] });
      const [mean, logVar] = out.value;
      await sampleAndDecode({ input, mean: [mean.data[0], mean.data[1]], logVar: [logVar.data[0], logVar.data[1]] });
    } catch (error) {
      fail("Encoding the drawing", error);
    }
  };

  const resample = () => {
    if (drawn) sampleAndDecode(drawn).catch((error: unknown) => fail("Sampling", error));
  };

  const index = useMemo(() => (vae ? new NearestCodes({ codes: vae.codes, labels: vae.labels }) : null), [vae]);
  const drawnMean = drawn?.mean;
  const neighbours = useMemo(() => (index && drawnMean ? index.nearest(drawnMean[0], drawnMean[1], NEIGHBOURS) : null), [index, drawnMean]);
  const drawnLogVar = drawn?.logVar;
  const marker = useMemo(() => (drawnMean && drawnLogVar ? { mean: drawnMean, std: spread(drawnLogVar) } : null), [drawnMean, drawnLogVar]);
  const overlays = useMemo(
    () => ({ hover: hover ?? decoded?.z, pins, samples: samples?.points, marker, grid: showGrid ? grid : null, gridOpacity }),
    [hover, decoded, pins, samples, marker, showGrid, grid, gridOpacity],
  );

  const legend = (
    <fieldset className="flex flex-wrap items-center gap-1.5">
      <legend className="sr-only">Digits shown</legend>
      {DIGIT_COLOURS.map((colour, digit) => (
        <button
          key={digit}
          type="button"
          aria-pressed={!hidden[digit]}
          aria-label={`Digit ${digit}`}
          data-testid={`legend-${digit}`}
          onClick={() => setHidden((h) => h.map((v, i) => (i === digit ? !v : v)))}
          className="flex items-center gap-1 rounded border border-slate-300 px-2 py-0.5 font-mono text-sm aria-[pressed=false]:opacity-40 dark:border-slate-700"
        >
          <span aria-hidden className="inline-block h-3 w-3 rounded-full" style={{ background: colour }} />
          {digit}
        </button>
      ))}
      <button type="button" className="px-1 text-sm underline" onClick={() => setHidden(Array(10).fill(false))}>
        all
      </button>
      <button type="button" className="px-1 text-sm underline" onClick={() => setHidden(Array(10).fill(true))}>
        none
      </button>
    </fieldset>
  );

  const accuracy = (id: EmbeddingId) => (knn5?.[id] === undefined ? "–" : `${(knn5[id]! * 100).toFixed(1)}%`);

  return (
    <div className="mt-6 grid grid-cols-1 gap-6">
      <BackendBadge status={status} lastMs={lastMs} choice={models.choice} onChoice={models.onChoice} />
      <ErrorAlert message={codesError ?? message} onDismiss={codesError ? undefined : () => setMessage(null)} />

      <Card
        title="The VAE's latent plane"
        intro={
          <>
            The 10,000 MNIST test digits at their encoder means, coloured by digit (5-NN accuracy {accuracy(RUNS.vae.name)}). Move the pointer (or a finger) over
            the plane to decode that point; click or tap to pin it. Drag to pan, scroll or pinch to zoom.
          </>
        }
      >
        <div className="mt-3">{legend}</div>
        <div className="mt-3 grid items-start gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
          <div className="relative">
            <LatentPlane
              codes={vae?.codes ?? null}
              labels={vae?.labels ?? null}
              hidden={hidden}
              overlays={overlays}
              onHover={onHover}
              onPick={onPick}
              label="The VAE's latent plane"
              testId="latent-plane"
            />
            <canvas
              ref={miniRef}
              width={28}
              height={28}
              aria-hidden
              className="pointer-events-none absolute left-2 top-2 h-20 w-20 rounded border border-slate-400 bg-black [image-rendering:pixelated] lg:hidden"
            />
          </div>
          <div className="grid gap-4">
            <div className="flex items-start gap-4">
              <canvas
                ref={decodedRef}
                width={28}
                height={28}
                data-testid="decoded"
                role="img"
                aria-label={decoded ? `The digit decoded at z = ${formatZ(decoded.z)}` : "The decoded digit"}
                className="h-56 w-56 rounded-lg bg-black [image-rendering:pixelated]"
              />
              <div className="text-sm text-slate-700 dark:text-slate-300">
                <div className="font-medium text-slate-900 dark:text-slate-100">Decoded</div>
                <div className="font-mono tabular-nums" data-testid="decoded-z">
                  z = {decoded ? formatZ(decoded.z) : "–"}
                </div>
                {decoded?.note && <div data-testid="decoded-note">the code of {decoded.note}; move over the plane to decode any point</div>}
              </div>
            </div>
            <div>
              <div className="flex items-center justify-between gap-2">
                <h3 className="font-medium">Pinned points {pins.length > 0 && <span className="font-normal">({pins.length})</span>}</h3>
                <button type="button" className={BUTTON} disabled={pins.length === 0} onClick={() => {
                    setPins([]);
                    setStrip(null);
                  }}>
                  Clear pins
                </button>
              </div>
              {pins.length < 2 ? (
                <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">Pin two points to see the path between them decoded.</p>
              ) : (
                <div className="mt-2" data-testid="interpolation">
                  <p className="mb-1 text-sm text-slate-700 dark:text-slate-300">
                    From pin {pins.length - 1} {formatZ(pins[pins.length - 2])} to pin {pins.length} {formatZ(pins[pins.length - 1])}:
                  </p>
                  <div className="flex flex-wrap gap-1">
                    {Array.from({ length: INTERPOLATION_STEPS }, (_, i) => (
                      <DigitCanvas key={i} pixels={strip} offset={i * DIGIT_PIXELS} size={40} label={`Interpolation step ${i + 1} of ${INTERPOLATION_STEPS}`} />
                    ))}
                  </div>
                </div>
              )}
            </div>
            <div>
              <div className="flex items-center justify-between gap-2">
                <h3 className="font-medium">Samples from the prior, z ~ N(0, I)</h3>
                <button type="button" className={BUTTON} disabled={!ready} onClick={() => void samplePrior()} data-testid="sample-prior">
                  Sample {PRIOR_SAMPLES}
                </button>
              </div>
              {samples && (
                <div className="mt-2 flex flex-wrap gap-1" data-testid="prior-samples">
                  {samples.points.map((z, i) => (
                    <DigitCanvas key={i} pixels={samples.pixels} offset={i * DIGIT_PIXELS} size={40} label={`Sample ${i + 1} at z = ${formatZ(z)}`} />
                  ))}
                </div>
              )}
            </div>
            <fieldset className="grid gap-2 rounded-lg border border-slate-300 p-3 text-sm dark:border-slate-700">
              <legend className="px-1 font-medium">The decoded manifold</legend>
              <label className="flex items-center gap-2">
                <input type="checkbox" checked={showGrid} onChange={(e) => setShowGrid(e.target.checked)} data-testid="show-grid" />
                Draw the decoder&apos;s digits over the plane
              </label>
              <div className="flex flex-wrap items-center gap-2">
                <label htmlFor={ids.size}>Grid</label>
                <select id={ids.size} value={gridSize} onChange={(e) => setGridSize(Number(e.target.value))} className="rounded border border-slate-400 bg-white px-1 py-0.5 dark:bg-slate-950">
                  {GRID_SIZES.map((n) => (
                    <option key={n} value={n}>
                      {n}×{n}
                    </option>
                  ))}
                </select>
                <label htmlFor={ids.spacing}>spacing</label>
                <select id={ids.spacing} value={spacing} onChange={(e) => setSpacing(e.target.value as GridSpacing)} className="rounded border border-slate-400 bg-white px-1 py-0.5 dark:bg-slate-950">
                  <option value="normal">Normal quantiles (Kingma &amp; Welling, Fig. 4)</option>
                  <option value="linear">Linear</option>
                </select>
              </div>
              {spacing === "linear" && (
                <div className="flex items-center gap-2">
                  <label htmlFor={ids.extent}>From −{extent} to {extent}</label>
                  <input id={ids.extent} type="range" min={1} max={5} step={0.5} value={extent} onChange={(e) => setExtent(Number(e.target.value))} />
                </div>
              )}
              <div className="flex items-center gap-2">
                <label htmlFor={ids.opacity}>Opacity</label>
                <input id={ids.opacity} type="range" min={0.1} max={1} step={0.05} value={gridOpacity} onChange={(e) => setGridOpacity(Number(e.target.value))} />
              </div>
            </fieldset>
          </div>
        </div>
      </Card>

      <Card
        title="Draw a digit: how the VAE sees it"
        intro={
          <>
            Draw with the mouse or a finger. Your drawing is scaled to 20×20 and centred in 28×28, like MNIST, then takes the path every training
            digit takes: the encoder gives a mean and a spread, a sample is drawn from them, and the decoder turns the sample back into a digit.
          </>
        }
      >
        <div className="mt-3 flex flex-wrap items-start gap-6">
          <DrawPad onDigit={(pixels) => void onDigit(pixels)} onClear={() => setDrawn(null)} />
          <DigitPath path={drawn} neighbours={neighbours} average={vaeLoss} onResample={resample} />
        </div>
      </Card>

      <Card
        title="Side by side: VAE, deep autoencoder, PCA"
        intro={
          <>
            Hinton &amp; Salakhutdinov (2006), Fig. 3: the 2-D codes of PCA (A) mix the digits; those of a deep 784-1000-500-250-2 autoencoder (B) keep
            them apart. The accuracy is that of a 5-nearest-neighbour classifier on the 2-D test codes (models/evaluation.json).
          </>
        }
      >
        <div className="mt-3">{legend}</div>
        <div className="mt-3 grid gap-4 md:grid-cols-3">
          {EMBEDDINGS.map(({ id, label }) => (
            <figure key={id}>
              <LatentPlane
                codes={embeddings[id]?.codes ?? null}
                labels={embeddings[id]?.labels ?? null}
                hidden={hidden}
                label={label}
                testId={`plane-${id}`}
              />
              <figcaption className="mt-1 flex justify-between text-sm">
                <span className="font-medium">{label}</span>
                <span data-testid={`knn5-${id}`}>5-NN accuracy {accuracy(id)}</span>
              </figcaption>
            </figure>
          ))}
        </div>
      </Card>
    </div>
  );
}
