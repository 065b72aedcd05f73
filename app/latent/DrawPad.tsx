"use client";

import { useRef } from "react";
import { toMnistDigit } from "@/lib/latent";

const SIDE = 280;

/**
 * A 280x280 pad to draw a digit on with the mouse, a pen or a finger (white ink on black, as in MNIST). When a
 * stroke ends, the drawing is made MNIST-like (lib/latent toMnistDigit: fitted to 20x20, centred by its centre of
 * mass in 28x28) and handed to `onDigit`.
 */
export function DrawPad({ onDigit, onClear }: { onDigit: (pixels: Float32Array) => void; onClear: () => void }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const last = useRef<{ x: number; y: number } | null>(null);
  const inked = useRef(false);

  // Every stroke's end reads the pad back: `willReadFrequently` on every getContext call, since the first one
  // fixes a canvas's options (a "Clear" before any stroke used to create it without).
  const context = () => {
    const ctx = ref.current?.getContext("2d", { willReadFrequently: true });
    if (!ctx) return null;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = 20;
    ctx.strokeStyle = "#fff";
    ctx.fillStyle = "#fff";
    return ctx;
  };

  const position = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const rect = event.currentTarget.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) / rect.width) * SIDE, y: ((event.clientY - rect.top) / rect.height) * SIDE };
  };

  const clear = () => {
    const ctx = context();
    if (ctx) {
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, SIDE, SIDE);
    }
    inked.current = false;
    onClear();
  };

  const finish = () => {
    if (!last.current) return;
    last.current = null;
    const ctx = context();
    if (!ctx || !inked.current) return;
    const { data } = ctx.getImageData(0, 0, SIDE, SIDE);
    const gray = new Uint8ClampedArray(SIDE * SIDE);
    for (let i = 0; i < gray.length; i++) gray[i] = data[4 * i];
    onDigit(toMnistDigit(gray, SIDE, SIDE, 255));
  };

  return (
    <div className="flex flex-col items-start gap-2">
      <canvas
        ref={ref}
        width={SIDE}
        height={SIDE}
        data-testid="draw-pad"
        role="img"
        aria-label="Drawing pad: draw a digit with the mouse or a finger"
        className="aspect-square w-full max-w-[280px] touch-none cursor-crosshair rounded-lg bg-black"
        onPointerDown={(event) => {
          event.currentTarget.setPointerCapture(event.pointerId);
          const ctx = context();
          if (!ctx) return;
          const p = position(event);
          ctx.beginPath();
          ctx.arc(p.x, p.y, ctx.lineWidth / 2, 0, 2 * Math.PI);
          ctx.fill();
          last.current = p;
          inked.current = true;
        }}
        onPointerMove={(event) => {
          const ctx = context();
          if (!ctx || !last.current) return;
          const p = position(event);
          ctx.beginPath();
          ctx.moveTo(last.current.x, last.current.y);
          ctx.lineTo(p.x, p.y);
          ctx.stroke();
          last.current = p;
        }}
        onPointerUp={finish}
        onPointerCancel={finish}
      />
      <button type="button" onClick={clear} className="rounded border border-slate-400 px-3 py-1 text-sm hover:bg-slate-100 dark:hover:bg-slate-800">
        Clear the pad
      </button>
    </div>
  );
}
