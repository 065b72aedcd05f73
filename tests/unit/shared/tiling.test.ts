import { beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { floatsToBytes } from "@/lib/image";
import { daeMargin, daeTileOptions, DEFAULT_DAE_ARCHITECTURE } from "@/lib/catalogue";
import { extractRegion, planTiles, runTiled } from "@/lib/tiling";
import { buildDae } from "@/training/models";
import { createRandom } from "@/lib/random";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

function randomImage(width: number, height: number, seed: number) {
  const random = createRandom(seed);
  const data = new Uint8ClampedArray(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(random.uniform() * 256);
  return { data, width, height, channels: 3 };
}

/** A small DAE with fixed, fairly large random weights, so that any seam shows. */
function testDae() {
  const model = buildDae({ ...DEFAULT_DAE_ARCHITECTURE, filters: 8 });
  const random = createRandom(11);
  model.setWeights(model.getWeights().map((w) => tf.tensor(Float32Array.from({ length: w.size }, () => (random.uniform() - 0.5) * 0.6), w.shape)));
  return model;
}

describe("planTiles", () => {
  it("covers every pixel exactly once, on the stride grid, with sides that are multiples", () => {
    for (const [width, height, tile, margin, multiple] of [
      [75, 53, 32, 18, 2],
      [64, 64, 256, 22, 2],
      [300, 7, 64, 16, 4],
      [1, 1, 16, 8, 2],
    ]) {
      const plan = planTiles(width, height, { tile, margin, multiple });
      const covered = new Uint8Array(width * height);
      for (const t of plan.tiles) {
        expect(t.input.x % multiple).toBe(0);
        expect(t.input.y % multiple).toBe(0);
        expect(t.input.width % multiple).toBe(0);
        expect(t.input.height % multiple).toBe(0);
        expect(t.input.x + t.input.width).toBeLessThanOrEqual(plan.paddedWidth);
        for (let y = t.core.y; y < t.core.y + t.core.height; y++) {
          for (let x = t.core.x; x < t.core.x + t.core.width; x++) covered[y * width + x]++;
        }
        // The core has its full margin of context wherever the image goes on.
        expect(t.core.x - t.input.x).toBe(Math.min(t.core.x, Math.ceil(margin / multiple) * multiple));
      }
      expect(covered.every((c) => c === 1)).toBe(true);
    }
  });

  it("repeats edge pixels past the image", () => {
    const image = { data: new Uint8ClampedArray([0, 0, 0, 255, 255, 255]), width: 2, height: 1, channels: 3 };
    const region = extractRegion(image, { x: 0, y: 0, width: 4, height: 2 });
    expect(Array.from(region.subarray(0, 12))).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(region.subarray(12))).toEqual(Array.from(region.subarray(0, 12)));
  });
});

describe("runTiled with the DAE", () => {
  it("matches running the whole (edge-padded) image at once: no seams", async () => {
    const model = testDae();
    const options = daeTileOptions({ downsampling: 2, depth: DEFAULT_DAE_ARCHITECTURE.depth }, 24);
    for (const [width, height] of [
      [75, 53],
      [64, 40],
    ]) {
      const image = randomImage(width, height, width * 7 + height);
      const run = (input: Float32Array, w: number, h: number) =>
        tf.tidy(() => (model.predict(tf.tensor4d(input, [1, h, w, 3])) as tf.Tensor).dataSync() as Float32Array);
      const tiled = await runTiled(image, options, run);
      const plan = planTiles(width, height, options);
      expect(plan.tiles.length).toBeGreaterThan(4);
      // Reference: the whole image, padded to the multiple by repeating edges, in one go.
      const padded = extractRegion(image, { x: 0, y: 0, width: plan.paddedWidth, height: plan.paddedHeight });
      const whole = run(padded, plan.paddedWidth, plan.paddedHeight);
      const reference = new Uint8ClampedArray(width * height * 3);
      for (let y = 0; y < height; y++) reference.set(floatsToBytes(whole.subarray(y * plan.paddedWidth * 3, (y * plan.paddedWidth + width) * 3)), y * width * 3);
      let maxDiff = 0;
      for (let i = 0; i < reference.length; i++) maxDiff = Math.max(maxDiff, Math.abs(reference[i] - tiled.data[i]));
      expect(maxDiff).toBeLessThanOrEqual(1); // float rounding at .5 only
    }
    model.dispose();
  });

  it("a margin smaller than the receptive field would show seams (the test can see them)", async () => {
    const model = testDae();
    const image = randomImage(64, 64, 5);
    const run = (input: Float32Array, w: number, h: number) =>
      tf.tidy(() => (model.predict(tf.tensor4d(input, [1, h, w, 3])) as tf.Tensor).dataSync() as Float32Array);
    const good = await runTiled(image, { tile: 16, margin: daeMargin(DEFAULT_DAE_ARCHITECTURE), multiple: 2 }, run);
    const bad = await runTiled(image, { tile: 16, margin: 0, multiple: 2 }, run);
    let differing = 0;
    for (let i = 0; i < good.data.length; i++) if (Math.abs(good.data[i] - bad.data[i]) > 1) differing++;
    expect(differing).toBeGreaterThan(100);
    model.dispose();
  });

  it("reports progress and stops when aborted", async () => {
    const image = randomImage(40, 40, 1);
    const seen: number[] = [];
    const controller = new AbortController();
    const identity = (input: Float32Array) => input;
    const result = runTiled(image, { tile: 8, margin: 4, multiple: 2 }, identity, {
      signal: controller.signal,
      onProgress: (done) => {
        seen.push(done);
        if (done === 3) controller.abort();
      },
    });
    await expect(result).rejects.toMatchObject({ name: "AbortError" });
    expect(seen).toEqual([0, 1, 2, 3]);
    // An identity model gives the image back exactly.
    const copy = await runTiled(image, { tile: 8, margin: 4, multiple: 2 }, identity);
    expect(Array.from(copy.data)).toEqual(Array.from(image.data));
  });

  it("hands over each tile's output as it finishes: together they are the result", async () => {
    const image = randomImage(21, 13, 2);
    const painted = new Uint8ClampedArray(image.data.length);
    const invert = (input: Float32Array) => input.map((v) => 1 - v);
    const result = await runTiled(image, { tile: 8, margin: 4, multiple: 2 }, invert, {
      onProgress: (done, _total, tile) => {
        expect(tile === undefined).toBe(done === 0);
        if (!tile) return;
        const { rect, data } = tile;
        expect(data.length).toBe(rect.width * rect.height * 3);
        for (let y = 0; y < rect.height; y++) painted.set(data.subarray(y * rect.width * 3, (y + 1) * rect.width * 3), ((rect.y + y) * 21 + rect.x) * 3);
      },
    });
    expect(Array.from(painted)).toEqual(Array.from(result.data));
    expect(result.data[0]).toBe(255 - image.data[0]);
  });
});

describe("DAE geometry", () => {
  it("reads downsampling and depth from the manifest's training config", () => {
    expect(daeTileOptions({ downsampling: 4, depth: 8 })).toMatchObject({ multiple: 4, margin: daeMargin({ downsampling: 4, depth: 8 }) });
    // A manifest without them gets the default architecture's.
    const fallback = { multiple: DEFAULT_DAE_ARCHITECTURE.downsampling, margin: daeMargin(DEFAULT_DAE_ARCHITECTURE) };
    expect(daeTileOptions({})).toMatchObject(fallback);
    expect(daeTileOptions({ downsampling: "x" })).toMatchObject(fallback);
  });
});
