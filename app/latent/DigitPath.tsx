"use client";

import type { ReactNode } from "react";
import type { Neighbours } from "@/lib/knn";
import type { VaeLossTerms } from "@/lib/vae-loss";
import { DigitCanvas } from "./DigitCanvas";
import { formatPoint as pair, type Point } from "./LatentPlane";

/** A drawn digit's trip through the VAE, as training takes every digit: encode, sample, decode, score. */
export interface DrawnPath {
  /** The encoder's input: the drawing made MNIST-like, 784 values in [0, 1]. */
  input: Float32Array;
  mean: Point;
  logVar: Point;
  /** The draw ε ~ N(0, I) and the sample z = mean + exp(logVar / 2) · ε. */
  epsilon: Point;
  z: Point;
  /** The decoder's output at z and the loss terms, once decoded. */
  decoded: Float32Array | null;
  loss: VaeLossTerms | null;
}

/** Full precision for the tests, rounded for the eye. */
const exact = ([x, y]: Point) => `${x},${y}`;

export const spread = (logVar: Point): Point => [Math.exp(logVar[0] / 2), Math.exp(logVar[1] / 2)];

function Step({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <li className="grid content-start gap-1" data-testid={testId}>
      <span className="text-xs font-medium uppercase tracking-wide text-slate-600 dark:text-slate-400">{title}</span>
      {children}
    </li>
  );
}

const Arrow = () => (
  <li aria-hidden className="self-center text-2xl text-slate-500">
    →
  </li>
);

/**
 * The VAE's "how it works" strip, on the visitor's own digit: encoder → (mean, spread) → a sample → decoder, with
 * the numbers live, then the two loss terms training minimises and the label of the nearest test digits.
 * `average`: the test digits' mean loss terms (models/evaluation.json), for scale.
 */
export function DigitPath({
  path,
  neighbours,
  average,
  onResample,
}: {
  path: DrawnPath | null;
  neighbours: Neighbours | null;
  average: VaeLossTerms | null;
  onResample: () => void;
}) {
  const sigma = path ? spread(path.logVar) : null;
  const { loss } = path ?? {};
  return (
    <div className="grid min-w-0 flex-1 gap-3 text-sm" data-testid="how-it-works">
      <ol className="flex flex-wrap items-start gap-x-2 gap-y-3">
        <Step title="Your digit">
          <DigitCanvas pixels={path?.input ?? null} size={96} label="Your digit at 28×28, the encoder's input" testId="drawn-input" />
        </Step>
        <Arrow />
        <Step title="Encoder">
          <dl className="grid grid-cols-[auto_1fr] gap-x-2 font-mono tabular-nums" data-testid="drawn-code" data-mean={path ? exact(path.mean) : ""}>
            <dt>mean</dt>
            <dd>{path ? pair(path.mean) : "–"}</dd>
            <dt>spread σ</dt>
            <dd>{sigma ? pair(sigma) : "–"}</dd>
          </dl>
          <p className="max-w-[10rem] text-slate-700 dark:text-slate-300">Not one point but a small cloud: the red cross and ellipse on the plane.</p>
        </Step>
        <Arrow />
        <Step title="A sample">
          <dl
            className="grid grid-cols-[auto_1fr] gap-x-2 font-mono tabular-nums"
            data-testid="drawn-sample"
            data-epsilon={path ? exact(path.epsilon) : ""}
            data-z={path ? exact(path.z) : ""}
          >
            <dt>ε ~ N(0, I)</dt>
            <dd>{path ? pair(path.epsilon) : "–"}</dd>
            <dt>z = mean + σ·ε</dt>
            <dd>{path ? pair(path.z) : "–"}</dd>
          </dl>
          <button
            type="button"
            onClick={onResample}
            disabled={!path}
            data-testid="new-sample"
            className="justify-self-start rounded border border-slate-400 px-2 py-0.5 hover:bg-slate-100 disabled:opacity-50 dark:border-slate-600 dark:hover:bg-slate-800"
          >
            New sample
          </button>
        </Step>
        <Arrow />
        <Step title="Decoder">
          <DigitCanvas pixels={path?.decoded ?? null} size={96} label="The decoder's digit at the sample z" testId="drawn-reconstruction" />
        </Step>
      </ol>
      {!path && <p className="text-slate-700 dark:text-slate-300">Draw a digit on the pad to follow it through.</p>}
      <dl
        className="grid max-w-2xl grid-cols-[auto_auto_1fr] items-baseline gap-x-3 gap-y-1"
        data-testid="drawn-loss"
        data-reconstruction={loss ? String(loss.reconstruction) : ""}
        data-kl={loss ? String(loss.kl) : ""}
      >
        <dt className="font-medium">Reconstruction</dt>
        <dd className="text-right font-mono tabular-nums">{loss ? `${loss.reconstruction.toFixed(1)} nats` : "–"}</dd>
        <dd className="text-slate-700 dark:text-slate-300">how badly the decoded digit predicts your pixels</dd>
        <dt className="font-medium">KL</dt>
        <dd className="text-right font-mono tabular-nums">{loss ? `${loss.kl.toFixed(1)} nats` : "–"}</dd>
        <dd className="text-slate-700 dark:text-slate-300">how far the encoder&apos;s cloud is from the prior N(0, I)</dd>
        <dt className="font-medium">Loss</dt>
        <dd className="text-right font-mono tabular-nums">{loss ? `${(loss.reconstruction + loss.kl).toFixed(1)} nats` : "–"}</dd>
        <dd className="text-slate-700 dark:text-slate-300">
          what training makes small{average && <>; the test digits average {average.reconstruction.toFixed(1)} + {average.kl.toFixed(1)}</>}
        </dd>
      </dl>
      <p data-testid="drawn-label" data-label={neighbours?.vote ?? ""} data-neighbours={neighbours?.labels.join(",") ?? ""}>
        {neighbours ? (
          <>
            <span className="font-medium">It lands among the {neighbours.vote}s:</span> its 5 nearest test digits on the plane are{" "}
            <span className="font-mono">{neighbours.labels.join(", ")}</span>.
          </>
        ) : (
          <span className="text-slate-700 dark:text-slate-300">Its label: the vote of the 5 nearest test digits on the plane.</span>
        )}
      </p>
    </div>
  );
}
