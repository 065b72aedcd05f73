"use client";

import { useEffect, useRef } from "react";
import { type PixelImage, toRgba } from "@/lib/image";

/** An RGB (or grey) image on a canvas at its own pixel size, scaled by CSS; small images are upscaled without blur. */
export function PixelCanvas({
  image,
  label,
  testId,
  pixelated = true,
  className = "",
}: {
  image: PixelImage | null;
  label: string;
  testId?: string;
  pixelated?: boolean;
  className?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas || !image) return;
    if (canvas.width !== image.width) canvas.width = image.width;
    if (canvas.height !== image.height) canvas.height = image.height;
    canvas.getContext("2d")?.putImageData(new ImageData(toRgba(image), image.width, image.height), 0, 0);
  }, [image]);
  return (
    <canvas
      ref={ref}
      width={image?.width ?? 64}
      height={image?.height ?? 64}
      role="img"
      aria-label={label}
      data-testid={testId}
      data-ready={image ? "true" : "false"}
      className={`block h-auto w-full bg-slate-200 dark:bg-slate-800 ${pixelated ? "[image-rendering:pixelated]" : ""} ${className}`}
    />
  );
}
