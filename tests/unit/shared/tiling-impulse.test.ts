import { beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { daeMargin, daeTileOptions, type DaeArchitecture } from "@/lib/catalogue";
import { roundUp } from "@/lib/tiling";
import { createRandom } from "@/lib/random";
import { buildDae } from "@/training/models";

/**
 * Impulse test of the DAE's tile margin: change one input pixel and find the farthest output pixel that changes.
 * Tiling is seamless exactly when every kept pixel's receptive field lies inside its tile's input, i.e. when that
 * reach is at most the margin (the no-seam test in tiling.test.ts checks one geometry end to end; this checks the
 * margin formula for every downsampling and several depths).
 */

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const DOWNSAMPLINGS = [1, 2, 4] as const;
const DEPTHS = [0, 1, 3, 6];

/**
 * The reach the architecture should have (Chebyshev radius, in input pixels). r = 1: a 3x3 patch convolution,
 * `depth` 3x3 ones and a 3x3 output one, 1 pixel each. r > 1: the patch convolution (kernel 2r, stride r, "same"
 * padding r/2 before) lets cell j see pixels [rj - r/2, rj + 3r/2 - 1]; the body spreads a change over `depth` more
 * cells each way; the transposed convolution writes cell j back to the same window. The worst input offset is r/2
 * past the stride grid, which reaches r(depth + 2) - 1 pixels. Not used for the margin: it shows the impulse sees
 * the whole receptive field (no dead ReLU or vanishing change hides its edge), so "reach <= margin" means something.
 */
const expectedReach = ({ depth, downsampling: r }: Pick<DaeArchitecture, "depth" | "downsampling">) => (r === 1 ? depth + 2 : r * (depth + 2) - 1);

/** A small DAE with fixed, fairly large random weights (and biases), so that changes propagate through every layer. */
function randomDae(downsampling: DaeArchitecture["downsampling"], depth: number, seed: number, variant: Partial<DaeArchitecture> = {}): tfl.LayersModel {
  const model = buildDae({ filters: 8, refineFilters: 8, depth, downsampling, ...variant });
  const random = createRandom(seed);
  const weights = model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => (random.uniform() - 0.5) * 0.6), w.shape));
  model.setWeights(weights);
  tf.dispose(weights);
  return model;
}

/** The same network up to the residual sum, before the final ReLU capped at 1 (pointwise: it cannot widen the reach). */
function preClip(model: tfl.LayersModel): tfl.LayersModel {
  // The residual sum is the last Add (with edge layers, an earlier one joins the skip).
  const sum = model.layers.findLast((layer) => layer.getClassName() === "Add");
  if (sum === undefined) throw new Error("the DAE has no residual Add layer");
  return tfl.model({ inputs: model.inputs, outputs: sum.output as tfl.SymbolicTensor });
}

const predict = (model: tfl.LayersModel, input: Float32Array, side: number) =>
  tf.tidy(() => (model.predict(tf.tensor4d(input, [1, side, side, 3])) as tf.Tensor).dataSync() as Float32Array);

/**
 * The largest Chebyshev distance from (px, py) at which `changed` differs from `base` in any channel by more than
 * `threshold` (0: any change at all; the CPU backend computes a pixel that does not depend on the changed input
 * bit for bit the same), or -1 when nothing changed.
 */
function reach(base: Float32Array, changed: Float32Array, side: number, px: number, py: number, threshold: number): number {
  let farthest = -1;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      for (let c = 0; c < 3; c++) {
        if (Math.abs(changed[i + c] - base[i + c]) > threshold) {
          farthest = Math.max(farthest, Math.abs(x - px), Math.abs(y - py));
          break;
        }
      }
    }
  }
  return farthest;
}

/**
 * The farthest any output changes when one pixel of a random image changes, over every offset of that pixel from
 * the stride grid (0 is aligned, the others, for r > 1, are not); checks on the way that it stays within `margin`,
 * and that neither the final clip nor a visibility threshold widens it. Disposes the model.
 */
function worstReach(model: tfl.LayersModel, margin: number, r: number, seed: number): number {
  // Room for a change to show beyond the margin on every side of a centred pixel, away from the zero padding.
  const side = roundUp(2 * (margin + 2 * r + 4), 4);
  const sumModel = preClip(model);
  const image = Float32Array.from({ length: side * side * 3 }, createRandom(seed).uniform);
  const baseSum = predict(sumModel, image, side);
  const baseOut = predict(model, image, side);
  let worst = -1;
  for (let offset = 0; offset < r; offset++) {
    const px = side / 2 + offset;
    const py = side / 2 + ((offset * 3) % r); // a different offset down than across
    const changed = image.slice();
    for (let c = 0; c < 3; c++) {
      const i = (py * side + px) * 3 + c;
      changed[i] = changed[i] < 0.5 ? changed[i] + 0.5 : changed[i] - 0.5;
    }
    const changedSum = predict(sumModel, changed, side);
    const sumReach = reach(baseSum, changedSum, side, px, py, 0);
    const outReach = reach(baseOut, predict(model, changed, side), side, px, py, 0);
    const visibleReach = reach(baseSum, changedSum, side, px, py, 1e-6);
    expect(sumReach, `offset ${offset}`).toBeLessThanOrEqual(margin);
    expect(outReach, `offset ${offset}`).toBeLessThanOrEqual(sumReach);
    expect(visibleReach, `offset ${offset}`).toBeLessThanOrEqual(sumReach);
    worst = Math.max(worst, sumReach);
  }
  model.dispose();
  return worst;
}

describe("DAE tile margin against the measured receptive field (one-pixel impulse)", () => {
  const measured: string[] = [];

  for (const downsampling of DOWNSAMPLINGS) {
    for (const depth of DEPTHS) {
      it(`downsampling ${downsampling}, depth ${depth}: the change reaches no farther than daeMargin`, () => {
        const margin = daeMargin({ depth, downsampling });
        const r = downsampling;
        const worst = worstReach(randomDae(downsampling, depth, 1000 + 10 * downsampling + depth), margin, r, depth * 7 + downsampling);
        measured.push(`r=${r} depth=${depth}: reach ${worst}, margin ${margin}`);

        // The measurement sees the edge of the receptive field: it is exactly what the architecture implies.
        expect(worst).toBe(expectedReach({ depth, downsampling }));
        // The margin is what makes tiling seamless: at least the reach (above), rounded up to the stride grid
        // (tile origins must stay on it)...
        expect(margin % r).toBe(0);
        expect(margin).toBeGreaterThanOrEqual(roundUp(worst, r));
        // ...and not wildly more: the formula counts the patch convolutions at 2r each where they reach about 1.5r,
        // which costs about 3r pixels of extra context per side; more than 4r (or the floor of 8) would be waste.
        expect(margin).toBeLessThanOrEqual(Math.max(8, roundUp(worst + 4 * r, r)));
      });
    }
  }

  it("daeTileOptions uses that margin and the stride as the multiple", () => {
    for (const downsampling of DOWNSAMPLINGS) {
      for (const depth of DEPTHS.filter((d) => d > 0)) {
        expect(daeTileOptions({ downsampling, depth }, 64)).toEqual({ tile: 64, margin: daeMargin({ depth, downsampling }), multiple: downsampling });
      }
    }
    if (measured.length > 0) console.info(`measured reach vs margin:\n  ${measured.join("\n  ")}`);
  });
});

describe("the margin of the other DAE architectures: a full-resolution refinement head, pixel shuffle", () => {
  const variants: { downsampling: DaeArchitecture["downsampling"]; depth: number; variant: Partial<DaeArchitecture> }[] = [
    { downsampling: 2, depth: 1, variant: { refine: 1 } },
    { downsampling: 2, depth: 3, variant: { refine: 3 } },
    { downsampling: 4, depth: 1, variant: { refine: 2 } },
    { downsampling: 2, depth: 3, variant: { resample: "shuffle" } },
    { downsampling: 4, depth: 1, variant: { resample: "shuffle" } },
    { downsampling: 2, depth: 1, variant: { resample: "shuffle", refine: 2 } },
  ];
  it.each(variants)("downsampling $downsampling, depth $depth, $variant: within daeMargin", ({ downsampling, depth, variant }) => {
    const margin = daeMargin({ depth, downsampling, refine: variant.refine });
    const worst = worstReach(randomDae(downsampling, depth, 77, variant), margin, downsampling, 5);
    // The impulse was seen at all (a change that reached nothing would prove nothing).
    expect(worst).toBeGreaterThan(0);
    expect(daeTileOptions({ downsampling, depth, ...variant }, 64).margin).toBe(margin);
  });
});
