import { describe, expect, it } from "vitest";
import { knnAccuracy, knnClassify, type LabelledCodes, NearestCodes } from "@/lib/knn";
import { createRandom } from "@/lib/random";

/** The plain definition: sort all training codes by distance, vote among the first k, ties to the nearest label. */
function bruteForceClassify(train: LabelledCodes, x: number, y: number, k: number): number {
  const order = Array.from(train.labels, (_, i) => i).sort(
    (a, b) => (train.codes[2 * a] - x) ** 2 + (train.codes[2 * a + 1] - y) ** 2 - ((train.codes[2 * b] - x) ** 2 + (train.codes[2 * b + 1] - y) ** 2),
  );
  const nearest = order.slice(0, k).map((i) => train.labels[i]);
  const count = (label: number) => nearest.filter((l) => l === label).length;
  const most = Math.max(...nearest.map(count));
  return nearest.find((label) => count(label) === most)!;
}

describe("k-NN accuracy of 2-D codes", () => {
  const train: LabelledCodes = {
    // Digit 0 around the origin, 1 around (5, 5), and one stray 1 at (0.5, 0).
    codes: Float32Array.from([0, 0, 0.1, 0, 0, 0.1, 5, 5, 5.1, 5, 5, 5.1, 0.5, 0]),
    labels: Uint8Array.from([0, 0, 0, 1, 1, 1, 1]),
  };

  it("votes by majority among the k nearest training codes", () => {
    expect(Array.from(knnClassify(train, Float32Array.from([0.05, 0.05, 4.9, 5.2, 0.6, 0]), 3))).toEqual([0, 1, 0]);
    expect(knnAccuracy(train, { codes: Float32Array.from([0.05, 0.05, 4.9, 5.2, 0.6, 0]), labels: Uint8Array.from([0, 1, 1]) }, 3)).toBeCloseTo(2 / 3, 10);
  });

  it("breaks a tie by the nearest of the tied labels", () => {
    // Nearest to (0.45, 0): the stray 1 (0.05 away), then the 0 at (0.1, 0): one vote each, and the 1 is nearer.
    expect(knnClassify(train, Float32Array.from([0.45, 0]), 2)[0]).toBe(1);
    // Nearest to (0.28, 0): the 0 at (0.1, 0) (0.18 away), then the stray 1 (0.22 away).
    expect(knnClassify(train, Float32Array.from([0.28, 0]), 2)[0]).toBe(0);
  });

  it("agrees with a brute-force search on random codes", () => {
    const random = createRandom(3);
    const randomCodes = (count: number): LabelledCodes => ({
      codes: Float32Array.from({ length: 2 * count }, () => random.normal()),
      labels: Uint8Array.from({ length: count }, () => Math.floor(random.uniform() * 10)),
    });
    const [many, queries] = [randomCodes(600), randomCodes(200)];
    const predicted = knnClassify(many, queries.codes, 5);
    for (let i = 0; i < 200; i++) expect(predicted[i], `query ${i}`).toBe(bruteForceClassify(many, queries.codes[2 * i], queries.codes[2 * i + 1], 5));
  });

  it("names the k nearest labels, nearest first, beside their vote (the latent page shows them)", () => {
    const index = new NearestCodes(train);
    expect(index.nearest(0.45, 0, 3)).toEqual({ labels: [1, 0, 0], vote: 0 });
    expect(index.nearest(4.9, 5.2, 2)).toEqual({ labels: [1, 1], vote: 1 });
    // Fewer reference codes than k: all of them.
    expect(new NearestCodes({ codes: Float32Array.from([1, 1]), labels: Uint8Array.from([7]) }).nearest(0, 0, 5)).toEqual({ labels: [7], vote: 7 });
  });

  it("refuses an empty reference set and codes that do not match their labels", () => {
    expect(() => new NearestCodes({ codes: new Float32Array(0), labels: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => new NearestCodes({ codes: new Float32Array(3), labels: new Uint8Array(2) })).toThrow(RangeError);
  });
});
