"use client";

import { type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { DIGIT_SIDE } from "@/lib/catalogue";
import { fitBulk } from "@/lib/latent";

/**
 * A 2-D embedding as a scatter on one canvas (devicePixelRatio-aware), coloured by digit, with pan (drag, or two
 * fingers), zoom (wheel, pinch, + and −) and overlays on the same axes: the decoded manifold grid, pinned points,
 * prior samples, the drawn digit's encoding (mean and spread), and the hovered point. With `onHover`, moving the
 * mouse (or one finger) over the plane reports the latent point under it, and so does a change of view under a
 * resting mouse (keys, the first fit); a click (or a tap) reports `onPick`. The first view fits the bulk of each
 * digit's codes (lib/latent fitBulk), and says how many it leaves past the edge.
 */

/** Ten colours that stay apart for the common colour-vision deficiencies (Tableau 10). */
export const DIGIT_COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f"];

export type Point = [number, number];

/** A point for the eye: "(1.20, -0.85)". */
export const formatPoint = ([x, y]: Point) => `(${x.toFixed(2)}, ${y.toFixed(2)})`;

export interface GridOverlay {
  /** The axis coordinates (ascending) and, for each grid point row by row from the top, 784 pixel values. */
  xs: number[];
  ys: number[];
  pixels: Float32Array;
}

export interface Overlays {
  hover?: Point | null;
  pins?: Point[];
  samples?: Point[];
  /** The drawn digit's encoding: the mean and the standard deviation exp(logVar / 2) per axis. */
  marker?: { mean: Point; std: Point } | null;
  grid?: GridOverlay | null;
  /** 0-1: how strongly the manifold covers the points. */
  gridOpacity?: number;
}

interface View {
  cx: number;
  cy: number;
  /** CSS pixels per latent unit. */
  scale: number;
}

/**
 * Sizes a square canvas for the screen's pixel density, clears it, and returns its context with the mapping from
 * latent coordinates to CSS pixels (y up, as on a plot).
 */
function clearedSurface(canvas: HTMLCanvasElement, size: number, view: View) {
  const dpr = window.devicePixelRatio || 1;
  const px = Math.round(size * dpr);
  if (canvas.width !== px || canvas.height !== px) {
    canvas.width = px;
    canvas.height = px;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size, size);
  const toX = (x: number) => size / 2 + (x - view.cx) * view.scale;
  const toY = (y: number) => size / 2 - (y - view.cy) * view.scale;
  return { ctx, toX, toY };
}

/** The first view: the bulk of each digit's codes (lib/latent fitBulk), and how many codes it leaves outside. */
function fitView(codes: Float32Array, labels: Uint8Array | null, size: number): { view: View; outside: number } {
  if (codes.length < 2 || size === 0) return { view: { cx: 0, cy: 0, scale: Math.max(1, size / 8) }, outside: 0 };
  const { cx, cy, span, outside } = fitBulk(codes, { labels: labels ?? undefined });
  return { view: { cx, cy, scale: size / span }, outside };
}

/** Cell edges around ascending centres: midpoints, with the end cells as wide as their neighbours. */
function cellEdges(centres: number[]): number[] {
  if (centres.length === 1) return [centres[0] - 0.5, centres[0] + 0.5];
  const edges = [centres[0] - (centres[1] - centres[0]) / 2];
  for (let i = 0; i + 1 < centres.length; i++) edges.push((centres[i] + centres[i + 1]) / 2);
  const k = centres.length - 1;
  edges.push(centres[k] + (centres[k] - centres[k - 1]) / 2);
  return edges;
}

/** The grid's digits as one atlas canvas (dark ink, transparent paper), one row of digits per grid row. */
function gridAtlas(grid: GridOverlay): HTMLCanvasElement {
  const cols = grid.xs.length;
  const rows = grid.ys.length;
  const canvas = document.createElement("canvas");
  canvas.width = cols * DIGIT_SIDE;
  canvas.height = rows * DIGIT_SIDE;
  const ctx = canvas.getContext("2d")!;
  const image = ctx.createImageData(canvas.width, canvas.height);
  const size = DIGIT_SIDE * DIGIT_SIDE;
  for (let k = 0; k < cols * rows; k++) {
    const gx = (k % cols) * DIGIT_SIDE;
    const gy = Math.floor(k / cols) * DIGIT_SIDE;
    for (let p = 0; p < size; p++) {
      const o = ((gy + Math.floor(p / DIGIT_SIDE)) * canvas.width + gx + (p % DIGIT_SIDE)) * 4;
      image.data[o] = 15;
      image.data[o + 1] = 23;
      image.data[o + 2] = 42;
      image.data[o + 3] = Math.round(Math.min(1, Math.max(0, grid.pixels[k * size + p])) * 255);
    }
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

const NO_OVERLAYS: Overlays = {};

export function LatentPlane({
  codes,
  labels,
  hidden,
  overlays = NO_OVERLAYS,
  onHover,
  onPick,
  label,
  testId,
  className = "",
}: {
  codes: Float32Array | null;
  labels: Uint8Array | null;
  hidden: boolean[];
  overlays?: Overlays;
  onHover?: (z: Point | null, eventTime: number) => void;
  onPick?: (z: Point) => void;
  label: string;
  testId?: string;
  className?: string;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const baseRef = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState(0);
  const [view, setView] = useState<View | null>(null);
  // The fitted view's scale (points grow as one zooms in from it) and the codes it leaves outside.
  const [fitted, setFitted] = useState<{ scale: number; outside: number } | null>(null);
  const viewRef = useRef<View | null>(null);
  const atlas = useRef<{ grid: GridOverlay; canvas: HTMLCanvasElement } | null>(null);
  // Where the mouse rests over the plane (client coordinates), null when it is elsewhere.
  const restingMouse = useRef<{ x: number; y: number } | null>(null);
  const lastReported = useRef<Point | null>(null);
  const onHoverRef = useRef(onHover);
  useEffect(() => {
    onHoverRef.current = onHover;
  }, [onHover]);

  /** Reports the latent point under the pointer (null: none), unless it is the one reported last. */
  const report = useCallback((z: Point | null, eventTime: number, scale?: number) => {
    const last = lastReported.current;
    // Within half a CSS pixel of the last report (a pan or zoom that kept the point under the pointer): the same.
    if (z && last && scale && Math.hypot(z[0] - last[0], z[1] - last[1]) * scale < 0.5) return;
    lastReported.current = z;
    onHoverRef.current?.(z, eventTime);
  }, []);

  // Square, as wide as its box.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const observer = new ResizeObserver(([entry]) => setSize(Math.round(entry.contentRect.width)));
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);

  // The first view fits the points.
  const fit = useCallback(() => {
    if (!codes || size === 0) return;
    const { view, outside } = fitView(codes, labels, size);
    setView(view);
    setFitted({ scale: view.scale, outside });
  }, [codes, labels, size]);
  useEffect(() => {
    // The view depends on the measured size and the loaded codes, which arrive after mounting.
    if (!viewRef.current) fit();
  }, [fit]);

  // Two layers, each redrawn at most once a frame: the points and the manifold below (they change on pan, zoom,
  // the legend and the grid), the pointer's marks above (they change on every pointer move).
  const { grid, gridOpacity } = overlays;
  useEffect(() => {
    const canvas = baseRef.current;
    if (!canvas || !view || size === 0) return;
    const frame = requestAnimationFrame(() => {
      const surface = clearedSurface(canvas, size, view);
      if (!surface) return;
      const { ctx, toX, toY } = surface;
      // Axes through the origin.
      ctx.strokeStyle = "rgba(100, 116, 139, 0.5)";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(toX(0), 0);
      ctx.lineTo(toX(0), size);
      ctx.moveTo(0, toY(0));
      ctx.lineTo(size, toY(0));
      ctx.stroke();

      // The points, one colour at a time.
      if (codes && labels) {
        const n = Math.min(codes.length / 2, labels.length);
        // Dots sized to the panel, growing as one zooms in from the fitted view.
        const zoom = fitted ? view.scale / fitted.scale : 1;
        const r = Math.min(4, Math.max(1.5, (size / 260) * Math.sqrt(zoom)));
        ctx.globalAlpha = 0.75;
        for (let digit = 0; digit < 10; digit++) {
          if (hidden[digit]) continue;
          ctx.fillStyle = DIGIT_COLOURS[digit];
          for (let i = 0; i < n; i++) {
            if (labels[i] !== digit) continue;
            const x = toX(codes[2 * i]);
            const y = toY(codes[2 * i + 1]);
            if (x < -r || y < -r || x > size + r || y > size + r) continue;
            ctx.fillRect(x - r / 2, y - r / 2, r, r);
          }
        }
        ctx.globalAlpha = 1;
      }

      // The manifold: each decoded digit fills its grid cell.
      if (grid && (gridOpacity ?? 1) > 0) {
        if (atlas.current?.grid !== grid) atlas.current = { grid, canvas: gridAtlas(grid) };
        const xe = cellEdges(grid.xs);
        const ye = cellEdges(grid.ys);
        const rows = grid.ys.length;
        ctx.globalAlpha = gridOpacity ?? 1;
        ctx.imageSmoothingEnabled = view.scale * (xe[1] - xe[0]) < DIGIT_SIDE * 2;
        for (let row = 0; row < rows; row++) {
          // Atlas rows run from the top (largest y) down.
          const yi = rows - 1 - row;
          for (let col = 0; col < grid.xs.length; col++) {
            const x = toX(xe[col]);
            const y = toY(ye[yi + 1]);
            ctx.drawImage(atlas.current.canvas, col * DIGIT_SIDE, row * DIGIT_SIDE, DIGIT_SIDE, DIGIT_SIDE, x, y, toX(xe[col + 1]) - x, toY(ye[yi]) - y);
          }
        }
        ctx.globalAlpha = 1;
      }

    });
    return () => cancelAnimationFrame(frame);
  }, [codes, labels, hidden, grid, gridOpacity, view, size, fitted]);

  const { hover, pins: pinList, samples, marker } = overlays;
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !view || size === 0) return;
    const frame = requestAnimationFrame(() => {
      const surface = clearedSurface(canvas, size, view);
      if (!surface) return;
      const { ctx, toX, toY } = surface;
      // Prior samples: small hollow circles.
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#0f172a";
      for (const [x, y] of samples ?? []) {
        ctx.beginPath();
        ctx.arc(toX(x), toY(y), 4, 0, 2 * Math.PI);
        ctx.stroke();
      }

      // Pins, numbered, joined by the interpolation segment between the last two.
      const pins = pinList ?? [];
      if (pins.length >= 2) {
        const [a, b] = pins.slice(-2);
        ctx.strokeStyle = "#0f172a";
        ctx.setLineDash([5, 4]);
        ctx.beginPath();
        ctx.moveTo(toX(a[0]), toY(a[1]));
        ctx.lineTo(toX(b[0]), toY(b[1]));
        ctx.stroke();
        ctx.setLineDash([]);
      }
      ctx.font = "bold 11px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      pins.forEach(([x, y], i) => {
        ctx.fillStyle = "#0f172a";
        ctx.beginPath();
        ctx.arc(toX(x), toY(y), 8, 0, 2 * Math.PI);
        ctx.fill();
        ctx.fillStyle = "#fff";
        ctx.fillText(String(i + 1), toX(x), toY(y) + 0.5);
      });

      // The drawn digit: its mean, and an ellipse of one standard deviation.
      if (marker) {
        const [mx, my] = marker.mean;
        ctx.fillStyle = "rgba(220, 38, 38, 0.15)";
        ctx.strokeStyle = "#dc2626";
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.ellipse(toX(mx), toY(my), Math.max(2, marker.std[0] * view.scale), Math.max(2, marker.std[1] * view.scale), 0, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
        ctx.beginPath();
        ctx.moveTo(toX(mx) - 7, toY(my) - 7);
        ctx.lineTo(toX(mx) + 7, toY(my) + 7);
        ctx.moveTo(toX(mx) + 7, toY(my) - 7);
        ctx.lineTo(toX(mx) - 7, toY(my) + 7);
        ctx.stroke();
      }

      // The hovered point.
      if (hover) {
        const [hx, hy] = hover;
        ctx.strokeStyle = "#0f172a";
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(toX(hx), toY(hy), 6, 0, 2 * Math.PI);
        ctx.stroke();
      }
    });
    return () => cancelAnimationFrame(frame);
  }, [hover, pinList, samples, marker, view, size]);

  // --- pointer input
  const pointers = useRef(new Map<number, { x: number; y: number; type: string }>());
  const gesture = useRef<{ start: View; x: number; y: number; moved: boolean; distance?: number } | null>(null);

  const toLatent = useCallback(
    (clientX: number, clientY: number): Point | null => {
      const canvas = canvasRef.current;
      const v = viewRef.current;
      if (!canvas || !v) return null;
      const rect = canvas.getBoundingClientRect();
      return [v.cx + (clientX - rect.left - rect.width / 2) / v.scale, v.cy - (clientY - rect.top - rect.height / 2) / v.scale];
    },
    [],
  );

  // The view moved under a resting mouse (arrow keys, + and −, the first fit once the codes arrive): what lies
  // under it changed without a pointer event. A drag pans with the pointer, so the point under it stays.
  useEffect(() => {
    viewRef.current = view;
    const at = restingMouse.current;
    if (view && at && !gesture.current) report(toLatent(at.x, at.y), performance.now(), view.scale);
  }, [view, report, toLatent]);

  const zoomAt = useCallback((factor: number, clientX?: number, clientY?: number) => {
    const canvas = canvasRef.current;
    setView((v) => {
      if (!v || !canvas) return v;
      const rect = canvas.getBoundingClientRect();
      const ox = clientX === undefined ? 0 : clientX - rect.left - rect.width / 2;
      const oy = clientY === undefined ? 0 : clientY - rect.top - rect.height / 2;
      const scale = Math.min(5000, Math.max(2, v.scale * factor));
      // Keep the latent point under the pointer where it is.
      return { cx: v.cx + ox / v.scale - ox / scale, cy: v.cy - oy / v.scale + oy / scale, scale };
    });
  }, []);

  // Wheel zoom needs a non-passive listener to keep the page from scrolling.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      zoomAt(Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.002)), event.clientX, event.clientY);
    };
    canvas.addEventListener("wheel", onWheel, { passive: false });
    return () => canvas.removeEventListener("wheel", onWheel);
  }, [zoomAt]);

  const onPointerDown = (event: React.PointerEvent<HTMLCanvasElement>) => {
    event.currentTarget.setPointerCapture(event.pointerId);
    pointers.current.set(event.pointerId, { x: event.clientX, y: event.clientY, type: event.pointerType });
    const v = viewRef.current;
    if (!v) return;
    const all = [...pointers.current.values()];
    if (all.length === 2) {
      const mid = { x: (all[0].x + all[1].x) / 2, y: (all[0].y + all[1].y) / 2 };
      gesture.current = { start: v, ...mid, moved: true, distance: Math.hypot(all[0].x - all[1].x, all[0].y - all[1].y) };
    } else if (all.length === 1) {
      gesture.current = { start: v, x: event.clientX, y: event.clientY, moved: false };
      if (event.pointerType !== "mouse") report(toLatent(event.clientX, event.clientY), event.timeStamp);
    }
  };

  const onPointerMove = (event: React.PointerEvent<HTMLCanvasElement>) => {
    if (event.pointerType === "mouse") restingMouse.current = { x: event.clientX, y: event.clientY };
    const p = pointers.current.get(event.pointerId);
    const g = gesture.current;
    if (p) {
      p.x = event.clientX;
      p.y = event.clientY;
    }
    const all = [...pointers.current.values()];
    if (g && all.length === 2 && g.distance) {
      // Pinch: zoom about the midpoint, and pan with it.
      const mid = { x: (all[0].x + all[1].x) / 2, y: (all[0].y + all[1].y) / 2 };
      const factor = Math.hypot(all[0].x - all[1].x, all[0].y - all[1].y) / g.distance;
      const rect = event.currentTarget.getBoundingClientRect();
      const scale = Math.min(5000, Math.max(2, g.start.scale * factor));
      const ax = g.start.cx + (g.x - rect.left - rect.width / 2) / g.start.scale;
      const ay = g.start.cy - (g.y - rect.top - rect.height / 2) / g.start.scale;
      setView({ cx: ax - (mid.x - rect.left - rect.width / 2) / scale, cy: ay + (mid.y - rect.top - rect.height / 2) / scale, scale });
      return;
    }
    if (g && all.length === 1 && event.pointerType === "mouse") {
      // Mouse drag pans (the point under the pointer stays the same, so there is nothing new to decode).
      const dx = event.clientX - g.x;
      const dy = event.clientY - g.y;
      if (!g.moved && Math.hypot(dx, dy) < 4) return;
      g.moved = true;
      setView({ ...g.start, cx: g.start.cx - dx / g.start.scale, cy: g.start.cy + dy / g.start.scale });
      return;
    }
    if (g && all.length === 1 && Math.hypot(event.clientX - g.x, event.clientY - g.y) >= 4) g.moved = true;
    // Hover (mouse) or one finger: decode where it is.
    report(toLatent(event.clientX, event.clientY), event.timeStamp);
  };

  const onPointerUp = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const g = gesture.current;
    const wasSingle = pointers.current.size === 1;
    pointers.current.delete(event.pointerId);
    if (pointers.current.size === 0) {
      if (g && wasSingle && !g.moved && event.type === "pointerup") {
        const z = toLatent(event.clientX, event.clientY);
        if (z) onPick?.(z);
      }
      gesture.current = null;
    } else {
      const [rest] = pointers.current.values();
      const v = viewRef.current;
      if (v) gesture.current = { start: v, x: rest.x, y: rest.y, moved: true };
    }
  };

  const onKeyDown = (event: KeyboardEvent<HTMLCanvasElement>) => {
    const v = viewRef.current;
    if (!v) return;
    const step = 40 / v.scale;
    const moves: Record<string, [number, number]> = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[event.key]) {
      event.preventDefault();
      setView({ ...v, cx: v.cx + moves[event.key][0], cy: v.cy + moves[event.key][1] });
    } else if (event.key === "+" || event.key === "=") {
      event.preventDefault();
      zoomAt(1.25);
    } else if (event.key === "-" || event.key === "_") {
      event.preventDefault();
      zoomAt(0.8);
    } else if (event.key === "Enter" || event.key === " ") {
      // Decode (and pin) the centre of the view.
      event.preventDefault();
      report([v.cx, v.cy], event.timeStamp);
      onPick?.([v.cx, v.cy]);
    } else if (event.key === "0") {
      fit();
    }
  };

  const pointCount = codes && labels ? Math.min(codes.length / 2, labels.length) : 0;
  const shown = useMemo(() => {
    let count = 0;
    for (let i = 0; i < pointCount; i++) if (!hidden[labels![i]]) count++;
    return count;
  }, [labels, hidden, pointCount]);
  const outsideShare = fitted && pointCount > 0 ? fitted.outside / pointCount : 0;
  return (
    <div className={`relative rounded-lg bg-white ${className}`}>
      <canvas
        ref={baseRef}
        aria-hidden
        className="pointer-events-none absolute inset-0 block aspect-square w-full rounded-lg border border-transparent"
      />
      <canvas
        ref={canvasRef}
        data-testid={testId}
        data-points={shown}
        data-total-points={pointCount}
        data-view={view ? `${view.cx.toFixed(4)},${view.cy.toFixed(4)},${view.scale.toFixed(4)}` : ""}
        data-marker={marker ? marker.mean.map((v) => v.toFixed(4)).join(",") : ""}
        data-pins={pinList?.length ?? 0}
        tabIndex={0}
        role="img"
        aria-label={`${label}: ${shown.toLocaleString("en")} test digits as points coloured by digit. Drag to pan, scroll or pinch to zoom; arrow keys pan, + and − zoom, 0 resets${onPick ? ", Enter pins the centre" : ""}.`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onPointerLeave={(event) => {
          if (event.pointerType !== "mouse") return;
          restingMouse.current = null;
          if (pointers.current.size === 0) report(null, event.timeStamp);
        }}
        onKeyDown={onKeyDown}
        className="relative block aspect-square w-full touch-none cursor-crosshair rounded-lg border border-slate-300 bg-transparent focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 dark:border-slate-700"
      />
      <button
        type="button"
        onClick={fit}
        className="absolute right-2 top-2 rounded border border-slate-300 bg-white/90 px-2 py-0.5 text-xs text-slate-800 hover:bg-slate-100"
      >
        Reset view
      </button>
      {outsideShare >= 0.02 && (
        <p
          className="pointer-events-none absolute bottom-1 left-1 right-1 rounded bg-white/85 px-1.5 py-0.5 text-xs text-slate-800"
          data-testid={testId && `${testId}-outside`}
        >
          Fitted to the bulk: {fitted!.outside.toLocaleString("en")} codes ({(outsideShare * 100).toFixed(0)}%) lie past the edge. Zoom out to see them.
        </p>
      )}
    </div>
  );
}
