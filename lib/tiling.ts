import { cropImage, type PixelImage, valueScale } from "./image";

/**
 * Overlapped tiling for fully convolutional image-to-image models (the DAE), shared by the browser worker and the
 * server route: one implementation.
 *
 * The image is cut into cores (tile x tile); each core is run with a margin of context around it and only the
 * core of the output is kept. With a margin at least the model's receptive-field radius, and tile origins on the
 * model's stride grid (multiples of `multiple`), every kept pixel sees exactly the context it would see if the
 * whole image were run at once, so there are no seams, and memory is bounded by one tile. Sides that are not a
 * multiple of `multiple` are padded by repeating the edge pixels, and the padding is cropped off again.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface TileOptions {
  /** Core size in pixels (rounded up to a multiple of `multiple`). */
  tile: number;
  /** Context kept around each core, at least the receptive-field radius (rounded up to a multiple). */
  margin: number;
  /** The model's input sides must be multiples of this (its downsampling factor). */
  multiple: number;
}

export interface Tile {
  index: number;
  /** The output pixels this tile contributes, clipped to the image. */
  core: Rect;
  /** The input region run through the model: the core plus margin, in padded-image coordinates. */
  input: Rect;
}

export interface TilePlan {
  tiles: Tile[];
  paddedWidth: number;
  paddedHeight: number;
}

export type TileRunner = (input: Float32Array, width: number, height: number) => Promise<Float32Array> | Float32Array;

/** One finished tile of the output: its core's pixels (bytes, `channels` per pixel), where they go in the image. */
export interface TileOutput {
  rect: Rect;
  data: Uint8ClampedArray;
}

export interface TiledRunHooks {
  /** Called before the first tile (done 0, no tile) and after each, with that tile's output, to show it at once. */
  onProgress?: (done: number, total: number, tile?: TileOutput) => void;
  /** Checked between tiles: a run whose signal is aborted stops with the signal's reason (an AbortError). */
  signal?: AbortSignal;
}

export const DEFAULT_TILE = 256;

export const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

export function planTiles(width: number, height: number, options: TileOptions): TilePlan {
  if (!(width > 0 && height > 0)) throw new RangeError(`cannot tile a ${width}x${height} image`);
  const multiple = Math.max(1, Math.floor(options.multiple));
  const tile = roundUp(Math.max(multiple, options.tile), multiple);
  const margin = roundUp(Math.max(0, options.margin), multiple);
  const paddedWidth = roundUp(width, multiple);
  const paddedHeight = roundUp(height, multiple);
  const tiles: Tile[] = [];
  for (let y = 0; y < paddedHeight; y += tile) {
    for (let x = 0; x < paddedWidth; x += tile) {
      const coreW = Math.min(tile, paddedWidth - x);
      const coreH = Math.min(tile, paddedHeight - y);
      const x0 = Math.max(0, x - margin);
      const y0 = Math.max(0, y - margin);
      const x1 = Math.min(paddedWidth, x + coreW + margin);
      const y1 = Math.min(paddedHeight, y + coreH + margin);
      tiles.push({
        index: tiles.length,
        core: { x, y, width: Math.min(coreW, width - x), height: Math.min(coreH, height - y) },
        input: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 },
      });
    }
  }
  return { tiles: tiles.filter((t) => t.core.width > 0 && t.core.height > 0), paddedWidth, paddedHeight };
}

/** Copies `rect` out of `image` as floats in [0, 1], repeating edge pixels for coordinates past the image. */
export function extractRegion(image: PixelImage, rect: Rect): Float32Array {
  const { data, width, height, channels } = image;
  const scale = valueScale(data);
  const out = new Float32Array(rect.width * rect.height * channels);
  let o = 0;
  for (let ty = 0; ty < rect.height; ty++) {
    const sy = Math.min(height - 1, rect.y + ty);
    for (let tx = 0; tx < rect.width; tx++) {
      const sx = Math.min(width - 1, rect.x + tx);
      const s = (sy * width + sx) * channels;
      for (let c = 0; c < channels; c++) out[o++] = data[s + c] * scale;
    }
  }
  return out;
}

/**
 * Runs `run` over the image tile by tile and assembles the output at the image's own size, as bytes (rounded and
 * clipped, as an 8-bit PNG would hold them). `run` gets each input region as floats in [0, 1], HWC.
 */
export async function runTiled(
  image: PixelImage,
  options: TileOptions,
  run: TileRunner,
  hooks: TiledRunHooks = {},
): Promise<PixelImage<Uint8ClampedArray>> {
  const { width, height, channels } = image;
  const plan = planTiles(width, height, options);
  const out = new Uint8ClampedArray(width * height * channels);
  hooks.onProgress?.(0, plan.tiles.length);
  for (const tile of plan.tiles) {
    hooks.signal?.throwIfAborted();
    const { input, core } = tile;
    const result = await run(extractRegion(image, input), input.width, input.height);
    if (result.length !== input.width * input.height * channels) {
      throw new Error(`tile ${tile.index}: the model returned ${result.length} values for a ${input.width}x${input.height} input`);
    }
    const dx = core.x - input.x;
    const dy = core.y - input.y;
    for (let y = 0; y < core.height; y++) {
      const src = ((dy + y) * input.width + dx) * channels;
      const dst = ((core.y + y) * width + core.x) * channels;
      for (let i = 0; i < core.width * channels; i++) out[dst + i] = result[src + i] * 255;
    }
    hooks.onProgress?.(tile.index + 1, plan.tiles.length, { rect: core, data: cropImage({ data: out, width, height, channels }, core).data });
  }
  return { data: out, width, height, channels };
}
