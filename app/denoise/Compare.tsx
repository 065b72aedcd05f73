"use client";

import { useId, useState } from "react";
import type { PixelImage } from "@/lib/image";
import { PixelCanvas } from "./PixelCanvas";

/** Before/after: the "after" image over the "before" one, revealed to the right of a movable divider. */
export function Compare({
  before,
  after,
  beforeLabel,
  afterLabel,
  pixelated = true,
}: {
  before: PixelImage | null;
  after: PixelImage | null;
  beforeLabel: string;
  afterLabel: string;
  pixelated?: boolean;
}) {
  const [split, setSplit] = useState(50);
  const id = useId();
  return (
    <figure className="m-0">
      <div className="relative overflow-hidden rounded-md border border-slate-300 dark:border-slate-700">
        <PixelCanvas image={before} label={beforeLabel} pixelated={pixelated} />
        <div className="absolute inset-0" style={{ clipPath: `inset(0 0 0 ${split}%)` }}>
          <PixelCanvas image={after} label={afterLabel} pixelated={pixelated} />
        </div>
        <div aria-hidden className="pointer-events-none absolute inset-y-0 w-0.5 bg-white shadow-[0_0_0_1px_rgba(0,0,0,0.5)]" style={{ left: `${split}%` }} />
        <span aria-hidden className="absolute left-2 top-2 rounded bg-black/70 px-1.5 py-0.5 text-xs text-white">
          {beforeLabel}
        </span>
        <span aria-hidden className="absolute right-2 top-2 rounded bg-black/70 px-1.5 py-0.5 text-xs text-white">
          {afterLabel}
        </span>
      </div>
      <label htmlFor={id} className="mt-2 block text-sm text-slate-700 dark:text-slate-300">
        Divider: {beforeLabel.toLowerCase()} on the left, {afterLabel.toLowerCase()} on the right
      </label>
      <input
        id={id}
        type="range"
        min={0}
        max={100}
        value={split}
        onChange={(e) => setSplit(Number(e.target.value))}
        className="w-full accent-blue-700"
        aria-valuetext={`${split}% ${beforeLabel.toLowerCase()}`}
      />
    </figure>
  );
}
