"use client";

import { useEffect, useRef } from "react";
import { DIGIT_PIXELS, DIGIT_SIDE } from "@/lib/catalogue";

/**
 * A digit canvas's 2-D context. Its pixels are read back (the tests compare them with the models in Node), and a
 * 28x28 canvas gains nothing from the GPU: `willReadFrequently` keeps it in memory, and Chromium stops warning
 * about repeated getImageData. A canvas keeps the options of its first getContext call, so every call uses this.
 */
export function digitContext(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
  return canvas.getContext("2d", { willReadFrequently: true });
}

/** Paints one 28x28 digit (values in [0, 1], white ink on black as in MNIST) on a 28x28 canvas. */
export function drawDigit(canvas: HTMLCanvasElement, pixels: Float32Array, offset = 0) {
  const ctx = digitContext(canvas);
  if (!ctx) return;
  const image = ctx.createImageData(DIGIT_SIDE, DIGIT_SIDE);
  for (let i = 0; i < DIGIT_PIXELS; i++) {
    const v = Math.round(Math.min(1, Math.max(0, pixels[offset + i])) * 255);
    image.data[4 * i] = v;
    image.data[4 * i + 1] = v;
    image.data[4 * i + 2] = v;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** A digit shown large with pixelated scaling; `offset` picks one digit out of a batch. */
export function DigitCanvas({
  pixels,
  offset = 0,
  size = 56,
  label,
  testId,
}: {
  pixels: Float32Array | null;
  offset?: number;
  size?: number;
  label: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const canvas = ref.current;
    if (!canvas) return;
    if (pixels) drawDigit(canvas, pixels, offset);
    else digitContext(canvas)?.clearRect(0, 0, DIGIT_SIDE, DIGIT_SIDE);
  }, [pixels, offset]);
  return (
    <canvas
      ref={ref}
      width={DIGIT_SIDE}
      height={DIGIT_SIDE}
      role="img"
      aria-label={label}
      data-testid={testId}
      style={{ width: size, height: size }}
      className="rounded bg-black [image-rendering:pixelated]"
    />
  );
}
