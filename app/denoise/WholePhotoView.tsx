"use client";

import { type KeyboardEvent, type PointerEvent, useEffect, useId, useRef, useState } from "react";
import { cropImage, type PixelImage, toRgba } from "@/lib/image";
import type { Rect } from "@/lib/tiling";
import type { WholeRun } from "./use-whole-photo";

/** Where the close look is: its centre, as fractions of the photo's width and height (so it survives a new size). */
export interface LoupeCentre {
  fx: number;
  fy: number;
}

/** The close look's square on an image of this size: the model's own 64 pixels, where the image has them. */
export function loupeRect(centre: LoupeCentre, width: number, height: number, side = 64): Rect {
  const size = Math.min(side, width, height);
  const clamp = (v: number, max: number) => Math.max(0, Math.min(max, Math.round(v)));
  return { x: clamp(centre.fx * width - size / 2, width - size), y: clamp(centre.fy * height - size / 2, height - size), width: size, height: size };
}

/** Paints `rect` of `image` onto the canvas (the whole image by default), resizing the canvas to the image first. */
function paint(canvas: HTMLCanvasElement | null, image: PixelImage, rect?: Rect) {
  if (!canvas) return;
  if (canvas.width !== image.width || canvas.height !== image.height) {
    canvas.width = image.width;
    canvas.height = image.height;
  }
  const context = canvas.getContext("2d");
  if (!context) return;
  if (!rect) {
    context.putImageData(new ImageData(toRgba(image), image.width, image.height), 0, 0);
    return;
  }
  context.putImageData(new ImageData(toRgba(cropImage(image, rect)), rect.width, rect.height), rect.x, rect.y);
}

/**
 * The whole photo: the noisy one, and over it the denoised one to the right of a divider the visitor moves; while a
 * run goes on, each tile appears as it finishes. A square marks the close look: press or drag on the photo to
 * move it, or focus it and use the arrow keys.
 */
export function WholePhotoView({ run, loupe, onLoupe }: { run: WholeRun; loupe: LoupeCentre; onLoupe: (centre: LoupeCentre) => void }) {
  const before = useRef<HTMLCanvasElement>(null);
  const after = useRef<HTMLCanvasElement>(null);
  const frame = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);
  const [split, setSplit] = useState(50);
  const splitId = useId();
  const helpId = useId();
  const { width, height } = run.size;

  useEffect(() => {
    paint(before.current, run.noisy);
    paint(after.current, run.denoised);
    const onTile = (rect: Rect) => paint(after.current, run.denoised, rect);
    run.onTile.add(onTile);
    return () => {
      run.onTile.delete(onTile);
    };
  }, [run]);

  const rect = loupeRect(loupe, width, height);
  const moveTo = (event: PointerEvent<HTMLDivElement>) => {
    const box = frame.current?.getBoundingClientRect();
    if (!box) return;
    onLoupe({ fx: Math.max(0, Math.min(1, (event.clientX - box.left) / box.width)), fy: Math.max(0, Math.min(1, (event.clientY - box.top) / box.height)) });
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = event.shiftKey ? 16 : 4;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    const centre = loupeRect(loupe, width, height);
    onLoupe({ fx: (centre.x + centre.width / 2 + move[0]) / width, fy: (centre.y + centre.height / 2 + move[1]) / height });
  };
  const pct = (v: number, of: number) => `${(v / of) * 100}%`;
  // Small photos (the 64x64 samples) are shown with square pixels; larger ones smoothly.
  const rendering = Math.max(width, height) <= 256 ? "[image-rendering:pixelated]" : "";

  return (
    <figure className="m-0">
      <div className="mx-auto" style={{ maxWidth: `calc(70vh * ${width / height})` }}>
        <div
          ref={frame}
          className="relative w-full cursor-crosshair touch-none select-none overflow-hidden rounded-md border border-slate-300 bg-slate-200 dark:border-slate-700 dark:bg-slate-800"
          style={{ aspectRatio: `${width} / ${height}` }}
          onPointerDown={(event) => {
            dragging.current = true;
            event.currentTarget.setPointerCapture(event.pointerId);
            moveTo(event);
          }}
          onPointerMove={(event) => dragging.current && moveTo(event)}
          onPointerUp={() => (dragging.current = false)}
          onPointerCancel={() => (dragging.current = false)}
        >
          <canvas ref={before} role="img" aria-label={`Noisy photo, ${width}×${height}`} data-testid="full-noisy" className={`absolute inset-0 h-full w-full ${rendering}`} />
          <canvas
            ref={after}
            role="img"
            aria-label={`Denoised photo, ${width}×${height}`}
            data-testid="full-denoised"
            className={`absolute inset-0 h-full w-full ${rendering}`}
            style={{ clipPath: `inset(0 0 0 ${split}%)` }}
          />
          <div aria-hidden className="pointer-events-none absolute inset-y-0 w-0.5 bg-white shadow-[0_0_0_1px_rgba(0,0,0,0.5)]" style={{ left: `${split}%` }} />
          <span aria-hidden className="absolute left-2 top-2 rounded bg-black/70 px-1.5 py-0.5 text-xs text-white">
            Noisy
          </span>
          <span aria-hidden className="absolute right-2 top-2 rounded bg-black/70 px-1.5 py-0.5 text-xs text-white">
            Denoised
          </span>
          <div
            role="group"
            tabIndex={0}
            aria-label={`Close look: ${rect.width}×${rect.height} pixels at ${rect.x}, ${rect.y}`}
            aria-describedby={helpId}
            data-testid="loupe"
            onKeyDown={onKeyDown}
            className="pointer-events-none absolute border-2 border-yellow-300 shadow-[0_0_0_1px_rgba(0,0,0,0.8)] outline-none focus-visible:ring-4 focus-visible:ring-blue-600"
            style={{ left: pct(rect.x, width), top: pct(rect.y, height), width: pct(rect.width, width), height: pct(rect.height, height) }}
          />
        </div>
      </div>
      <label htmlFor={splitId} className="mt-2 block text-sm text-slate-700 dark:text-slate-300">
        Divider: noisy on the left, denoised on the right
      </label>
      <input
        id={splitId}
        type="range"
        min={0}
        max={100}
        value={split}
        onChange={(e) => setSplit(Number(e.target.value))}
        className="w-full accent-blue-700"
        aria-valuetext={`${split}% noisy`}
      />
      <p id={helpId} className="text-xs text-slate-600 dark:text-slate-400">
        The yellow square is the close look below: press or drag on the photo to move it, or focus it (Tab) and use the arrow keys.
      </p>
    </figure>
  );
}
