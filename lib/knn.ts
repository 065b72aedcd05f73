/**
 * k-nearest-neighbour classification of 2-D codes: how well a latent plane separates the digits (the number the
 * 2006 paper's Fig. 3 shows by eye), and which digit a drawn digit's code lands among on the latent page. Each
 * query gets the majority label of its k nearest reference codes; a tie goes to the nearest of the tied labels.
 *
 * The reference codes are sorted by x once; each query then walks outwards from its own x in both directions and
 * stops as soon as the x distance alone exceeds its k-th best distance. For 10,000 queries among 60,000 codes that
 * looks at a few hundred candidates per query instead of all of them.
 */

export interface LabelledCodes {
  /** (x, y) pairs, one per example. */
  codes: Float32Array;
  labels: Uint8Array;
}

interface SortedCodes {
  xs: Float64Array;
  ys: Float64Array;
  labels: Uint8Array;
}

function sortByX({ codes, labels }: LabelledCodes): SortedCodes {
  const count = labels.length;
  if (codes.length !== 2 * count) throw new RangeError(`expected ${2 * count} coordinates for ${count} labels, got ${codes.length}`);
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => codes[2 * a] - codes[2 * b]);
  return {
    xs: Float64Array.from(order, (i) => codes[2 * i]),
    ys: Float64Array.from(order, (i) => codes[2 * i + 1]),
    labels: Uint8Array.from(order, (i) => labels[i]),
  };
}

/** The first index whose x is >= x. */
function lowerBound(xs: Float64Array, x: number): number {
  let [low, high] = [0, xs.length];
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (xs[middle] < x) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The k nearest neighbours found so far, nearest first. */
class NearestList {
  readonly distances: Float64Array;
  readonly labels: Uint8Array;
  size = 0;

  constructor(readonly k: number) {
    this.distances = new Float64Array(k);
    this.labels = new Uint8Array(k);
  }

  /** The squared distance a candidate must beat to get in. */
  get bound(): number {
    return this.size < this.k ? Infinity : this.distances[this.k - 1];
  }

  offer(distance: number, label: number): void {
    if (distance >= this.bound) return;
    let j = Math.min(this.size, this.k - 1);
    for (; j > 0 && this.distances[j - 1] > distance; j--) {
      this.distances[j] = this.distances[j - 1];
      this.labels[j] = this.labels[j - 1];
    }
    this.distances[j] = distance;
    this.labels[j] = label;
    this.size = Math.min(this.size + 1, this.k);
  }

  /** The most frequent label; among tied labels, the one with the nearest member. */
  vote(): number {
    const counts = new Map<number, number>();
    for (let i = 0; i < this.size; i++) counts.set(this.labels[i], (counts.get(this.labels[i]) ?? 0) + 1);
    const most = Math.max(...counts.values());
    // Labels are held nearest first, so the first one with the top count is the nearest of the tied.
    for (let i = 0; i < this.size; i++) if (counts.get(this.labels[i]) === most) return this.labels[i];
    throw new RangeError("no neighbours to vote");
  }
}

/** The k nearest neighbours of one query and their vote. */
export interface Neighbours {
  /** Their labels, nearest first. */
  labels: number[];
  /** The winning label. */
  vote: number;
}

/** Labelled 2-D codes, indexed once for any number of k-NN queries. */
export class NearestCodes {
  private readonly sorted: SortedCodes;

  constructor(reference: LabelledCodes) {
    if (reference.labels.length === 0) throw new RangeError("k-NN needs at least one reference code");
    this.sorted = sortByX(reference);
  }

  /** The k nearest reference codes to (x, y), and the label they vote for. */
  nearest(x: number, y: number, k: number): Neighbours {
    const found = this.search(x, y, k);
    return { labels: Array.from(found.labels.subarray(0, found.size)), vote: found.vote() };
  }

  /** The label the k nearest reference codes to (x, y) vote for. */
  classify(x: number, y: number, k: number): number {
    return this.search(x, y, k).vote();
  }

  private search(x: number, y: number, k: number): NearestList {
    const { xs, ys, labels } = this.sorted;
    const nearest = new NearestList(k);
    const consider = (i: number) => nearest.offer((xs[i] - x) ** 2 + (ys[i] - y) ** 2, labels[i]);
    const start = lowerBound(xs, x);
    let [left, right] = [start - 1, start];
    for (;;) {
      const leftGap = left >= 0 ? (x - xs[left]) ** 2 : Infinity;
      const rightGap = right < xs.length ? (xs[right] - x) ** 2 : Infinity;
      // Every code further out on either side is at least this far away in x alone.
      if (Math.min(leftGap, rightGap) >= nearest.bound) break;
      if (leftGap <= rightGap) consider(left--);
      else consider(right++);
    }
    return nearest;
  }
}

/** Predicted labels of the test codes by a k-NN vote among the training codes. */
export function knnClassify(train: LabelledCodes, test: Float32Array, k: number): Uint8Array {
  const index = new NearestCodes(train);
  const predictions = new Uint8Array(test.length / 2);
  for (let i = 0; i < predictions.length; i++) predictions[i] = index.classify(test[2 * i], test[2 * i + 1], k);
  return predictions;
}

/** The fraction of test codes whose k-NN vote among the training codes is their own label. */
export function knnAccuracy(train: LabelledCodes, test: LabelledCodes, k: number): number {
  const predictions = knnClassify(train, test.codes, k);
  let correct = 0;
  for (let i = 0; i < predictions.length; i++) if (predictions[i] === test.labels[i]) correct++;
  return correct / predictions.length;
}
