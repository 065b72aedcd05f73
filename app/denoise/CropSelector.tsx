"use client";

import { type KeyboardEvent, type PointerEvent, useEffect, useId, useRef } from "react";
import { centredCrop, type Crop } from "@/lib/image";
import { clampCrop, type Photo } from "./photo";

/** The photo is shown at most this big (longest side, in canvas pixels), and small photos are upscaled to it. */
const DISPLAY_SIDE = 320;

/**
 * The square crop over the photo: drag it to move, drag its corner handle to resize; with the keyboard, arrows
 * move it and + / - resize it; the size slider and the centre button do the same for everyone.
 */
export function CropSelector({ photo, crop, onChange }: { photo: Photo; crop: Crop; onChange: (crop: Crop) => void }) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const frameRef = useRef<HTMLDivElement>(null);
  const drag = useRef<{ mode: "move" | "resize"; startX: number; startY: number; crop: Crop; scale: number } | null>(null);
  const sizeId = useId();
  const helpId = useId();
  const { width, height } = photo;
  const minSide = Math.min(width, height);
  const minSize = Math.min(minSide, 16);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const scale = DISPLAY_SIDE / Math.max(width, height);
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    const context = canvas.getContext("2d");
    if (!context) return;
    // Small photos are shown with square pixels, as in the results; large ones are smoothed down.
    context.imageSmoothingEnabled = scale < 1;
    context.imageSmoothingQuality = "high";
    context.drawImage(photo.bitmap, 0, 0, canvas.width, canvas.height);
  }, [photo, width, height]);

  const set = (next: Crop) => onChange(clampCrop(next, width, height));

  const startDrag = (mode: "move" | "resize", event: PointerEvent<HTMLElement>) => {
    const frame = frameRef.current;
    if (!frame) return;
    event.preventDefault();
    event.stopPropagation();
    (event.currentTarget as HTMLElement).setPointerCapture(event.pointerId);
    drag.current = { mode, startX: event.clientX, startY: event.clientY, crop, scale: width / frame.getBoundingClientRect().width };
  };

  const onPointerMove = (event: PointerEvent<HTMLElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = (event.clientX - d.startX) * d.scale;
    const dy = (event.clientY - d.startY) * d.scale;
    if (d.mode === "move") set({ ...d.crop, x: d.crop.x + dx, y: d.crop.y + dy });
    else {
      const size = Math.max(minSize, Math.min(d.crop.size + Math.max(dx, dy), width - d.crop.x, height - d.crop.y));
      set({ ...d.crop, size });
    }
  };

  const endDrag = () => {
    drag.current = null;
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = Math.max(1, Math.round(minSide * (event.shiftKey ? 0.1 : 0.02)));
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[event.key]) {
      const [dx, dy] = moves[event.key];
      set({ ...crop, x: crop.x + dx, y: crop.y + dy });
    } else if (event.key === "+" || event.key === "=") {
      const size = Math.min(minSide, crop.size + 2 * step);
      set({ x: crop.x - (size - crop.size) / 2, y: crop.y - (size - crop.size) / 2, size });
    } else if (event.key === "-" || event.key === "_") {
      const size = Math.max(minSize, crop.size - 2 * step);
      set({ x: crop.x + (crop.size - size) / 2, y: crop.y + (crop.size - size) / 2, size });
    } else return;
    event.preventDefault();
  };

  const pct = (v: number, of: number) => `${(v / of) * 100}%`;

  return (
    <div>
      <div ref={frameRef} className="relative mx-auto w-fit max-w-full touch-none select-none">
        <canvas ref={canvasRef} className="block h-auto max-h-[320px] w-auto max-w-full" aria-hidden />
        <div className="pointer-events-none absolute inset-0 bg-black/45" style={{ clipPath: cropHole(crop, width, height) }} />
        <div
          role="group"
          tabIndex={0}
          aria-label={`Crop: ${crop.size}×${crop.size} pixels at ${crop.x}, ${crop.y}`}
          aria-describedby={helpId}
          data-testid="crop-box"
          onPointerDown={(e) => startDrag("move", e)}
          onPointerMove={onPointerMove}
          onPointerUp={endDrag}
          onPointerCancel={endDrag}
          onKeyDown={onKeyDown}
          className="absolute cursor-move border-2 border-white shadow-[0_0_0_1px_rgba(0,0,0,0.7)] outline-none focus-visible:border-yellow-300 focus-visible:ring-4 focus-visible:ring-blue-600"
          style={{ left: pct(crop.x, width), top: pct(crop.y, height), width: pct(crop.size, width), height: pct(crop.size, height) }}
        >
          <div
            aria-hidden
            onPointerDown={(e) => startDrag("resize", e)}
            onPointerMove={onPointerMove}
            onPointerUp={endDrag}
            onPointerCancel={endDrag}
            className="absolute -bottom-2 -right-2 h-5 w-5 cursor-nwse-resize rounded-sm border-2 border-slate-900 bg-white"
          />
        </div>
      </div>
      <p id={helpId} className="mt-2 text-sm text-slate-700 dark:text-slate-300">
        Drag the square to move it and its corner to resize it; or focus it and use the arrow keys and + / −.
      </p>
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <label htmlFor={sizeId} className="text-sm font-medium">
          Crop size
        </label>
        <input
          id={sizeId}
          type="range"
          min={minSize}
          max={minSide}
          value={crop.size}
          onChange={(e) => {
            const size = Number(e.target.value);
            set({ x: crop.x + (crop.size - size) / 2, y: crop.y + (crop.size - size) / 2, size });
          }}
          className="min-w-0 flex-1 accent-blue-700"
          aria-valuetext={`${crop.size} pixels square`}
        />
        <span className="text-sm tabular-nums text-slate-700 dark:text-slate-300">
          {crop.size}×{crop.size} px
        </span>
        <button type="button" onClick={() => onChange(centredCrop(width, height))} className={SMALL_BUTTON}>
          Centre
        </button>
      </div>
    </div>
  );
}

export const PRIMARY_BUTTON =
  "rounded-md bg-blue-700 px-3 py-1.5 text-sm font-semibold text-white hover:bg-blue-800 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 focus-visible:ring-offset-2 disabled:opacity-50";

export const SMALL_BUTTON =
  "rounded-md border border-slate-400 bg-white px-3 py-1.5 text-sm font-medium text-slate-900 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 disabled:opacity-50 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100 dark:hover:bg-slate-800";

/** A clip path covering everything but the crop (even-odd polygon with a hole). */
function cropHole(crop: Crop, width: number, height: number): string {
  const x0 = (crop.x / width) * 100;
  const y0 = (crop.y / height) * 100;
  const x1 = ((crop.x + crop.size) / width) * 100;
  const y1 = ((crop.y + crop.size) / height) * 100;
  return `polygon(evenodd, 0% 0%, 100% 0%, 100% 100%, 0% 100%, 0% 0%, ${x0}% ${y0}%, ${x0}% ${y1}%, ${x1}% ${y1}%, ${x1}% ${y0}%, ${x0}% ${y0}%)`;
}
