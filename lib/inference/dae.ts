import { daeMargin, DEFAULT_TILE, type TileOptions } from "./tiling";

/**
 * What the page, its worker and the server route need to know about the DAE, without importing tfjs (this file
 * is in the page's main bundle).
 */

export const DAE_MODEL = "dae";

/** lib/models DEFAULT_DAE_CONFIG's geometry (a unit test keeps them equal), for manifests that do not record it. */
export const DAE_GEOMETRY_DEFAULTS = { depth: 6, downsampling: 2 } as const;

/** Input sides must be multiples of the downsampling factor; tiles need a margin of the receptive-field radius. */
export function daeTileOptions(config: Record<string, unknown> | undefined, tile = DEFAULT_TILE): TileOptions {
  const number = (value: unknown, fallback: number) =>
    typeof value === "number" && Number.isInteger(value) && value > 0 ? value : fallback;
  const downsampling = number(config?.downsampling, DAE_GEOMETRY_DEFAULTS.downsampling);
  const depth = number(config?.depth, DAE_GEOMETRY_DEFAULTS.depth);
  return { tile, margin: daeMargin({ depth, downsampling }), multiple: downsampling };
}
