"use client";

import { useMemo } from "react";
import { cropImage } from "@/lib/image";
import type { Rect } from "@/lib/tiling";
import { PixelCanvas } from "./PixelCanvas";
import { ScoreTable } from "./ScoreTable";
import { computeScores } from "./scores";
import type { WholeRun } from "./use-whole-photo";

/**
 * The close look: the square under the loupe at the model's own scale (64x64 pixels of the photo as denoised, one
 * model pixel per photo pixel), the original, the noisy and the denoised side by side, with their scores.
 * `tilesDone` changes as tiles finish, so a running result is cut again.
 */
export function CloseLook({ run, rect, tilesDone }: { run: WholeRun; rect: Rect; tilesDone: number }) {
  const hasReference = run.noise.kind !== "none";
  const crops = useMemo(
    () => ({ clean: cropImage(run.clean, rect), noisy: cropImage(run.noisy, rect), denoised: cropImage(run.denoised, rect) }),
    // The running result is pasted into in place: tilesDone says when.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [run, rect.x, rect.y, rect.width, rect.height, tilesDone],
  );
  const scores = useMemo(() => (run.state === "done" ? computeScores({ ...crops, hasReference }) : null), [crops, hasReference, run.state]);
  const panels = [
    ["Original", crops.clean, "original"],
    ["Noisy", crops.noisy, "noisy"],
    ["Denoised", crops.denoised, "denoised"],
  ] as const;
  return (
    <div className="mt-3 grid items-start gap-6 sm:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]" data-testid="results" aria-busy={run.state !== "done"}>
      <div className="grid grid-cols-3 gap-2 sm:gap-4">
        {panels.map(([label, image, testId]) => (
          <figure key={label} className="m-0">
            <PixelCanvas image={image} label={`${label}, ${rect.width}×${rect.height} pixels at ${rect.x}, ${rect.y}`} testId={testId} className="rounded-md" />
            <figcaption className="mt-1 text-center text-sm font-medium">{label}</figcaption>
          </figure>
        ))}
      </div>
      <ScoreTable scores={scores} hasReference={hasReference} testIds="" caption="The close look" />
    </div>
  );
}
