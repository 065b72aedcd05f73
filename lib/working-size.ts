import { planTiles, type TileOptions } from "./tiling";

/**
 * How big a photo the denoising page runs by default: the largest copy of it (never larger than its own size) that
 * this device denoises within a time budget, from the speed measured on this device's backend. Cost is taken as
 * proportional to the pixels the model actually runs on, margins included (lib/tiling), which is what a
 * convolutional network's work is; the per-pixel figure comes from a measured run, so it also carries the fixed
 * cost per run of the device it was measured on.
 */

/** A measured run: `ms` for `pixels` model-input pixels. */
export interface Speed {
  ms: number;
  pixels: number;
}

export const msPerPixel = (speed: Speed) => speed.ms / Math.max(1, speed.pixels);

/** The pixels the model runs on for a `width` x `height` image in these tiles: each tile's core plus its margin. */
export function tiledInputPixels(width: number, height: number, tiles: TileOptions): number {
  return planTiles(width, height, tiles).tiles.reduce((sum, tile) => sum + tile.input.width * tile.input.height, 0);
}

/** Estimated milliseconds to run a `width` x `height` image through the model in these tiles at this speed. */
export function estimateMs(width: number, height: number, tiles: TileOptions, speed: Speed): number {
  return tiledInputPixels(width, height, tiles) * msPerPixel(speed);
}

export interface Size {
  width: number;
  height: number;
}

/** The photo scaled to a longest side of `longSide` (never enlarged), at least one pixel each way. */
export function scaledTo(photo: Size, longSide: number): Size {
  const scale = Math.min(1, longSide / Math.max(photo.width, photo.height));
  return { width: Math.max(1, Math.round(photo.width * scale)), height: Math.max(1, Math.round(photo.height * scale)) };
}

const longSide = ({ width, height }: Size) => Math.max(width, height);

/**
 * The largest copy of the photo estimated to take at most `budgetMs`, but never smaller than `minSide` on its
 * longest side (the model's own 64 pixels: smaller is not worth showing, however slow the device) nor larger than
 * the photo.
 */
export function workingSize(photo: Size, tiles: TileOptions, speed: Speed, budgetMs: number, minSide = 64): Size {
  const own = longSide(photo);
  let low = Math.min(own, minSide);
  if (estimateMs(photo.width, photo.height, tiles, speed) <= budgetMs) return { width: photo.width, height: photo.height };
  // The cost grows with the side: the largest side within the budget, by bisection.
  let high = own;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    const size = scaledTo(photo, mid);
    if (estimateMs(size.width, size.height, tiles, speed) <= budgetMs) low = mid;
    else high = mid;
  }
  return scaledTo(photo, low);
}

/** The sizes the page offers: the working size, the round sizes above it, and the photo's own, longest side first to last. */
export function sizeChoices(photo: Size, working: Size): Size[] {
  const own = longSide(photo);
  const sides = [longSide(working), ...[1024, 2048, 4096].filter((side) => side > longSide(working) && side < own), own];
  return [...new Set(sides)].map((side) => (side === own ? { width: photo.width, height: photo.height } : scaledTo(photo, side)));
}
