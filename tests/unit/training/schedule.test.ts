import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { learningRateAt, setLearningRate } from "@/training/schedule";

describe("learning-rate schedules", () => {
  const cosine = { learningRate: 1e-3, lrSchedule: "cosine" as const, minLearningRate: 1e-5 };

  it("cosine starts at the rate, halves the way at mid-run, ends at the floor, and clamps outside the run", () => {
    expect(learningRateAt(cosine, 0)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(cosine, 0.5)).toBeCloseTo((1e-3 + 1e-5) / 2, 12);
    expect(learningRateAt(cosine, 1)).toBeCloseTo(1e-5, 12);
    expect(learningRateAt(cosine, 1.7)).toBeCloseTo(1e-5, 12);
    expect(learningRateAt(cosine, -1)).toBeCloseTo(1e-3, 12);
    const rates = [0, 0.1, 0.3, 0.6, 0.9].map((p) => learningRateAt(cosine, p));
    expect(rates).toEqual([...rates].sort((a, b) => b - a));
  });

  it("constant ignores progress and the floor", () => {
    expect(learningRateAt({ ...cosine, lrSchedule: "constant" }, 0.8)).toBe(1e-3);
  });

  it("a set rate is what Adam's next step applies", async () => {
    await tf.setBackend("cpu");
    const w = tf.variable(tf.scalar(0));
    const optimizer = tf.train.adam(0.1);
    setLearningRate(optimizer, 0.01);
    // d(w)/dw = 1, so Adam's first, bias-corrected step is exactly -rate.
    optimizer.minimize(() => tf.mul(w, 1) as tf.Scalar, false, [w]);
    expect((await w.data())[0]).toBeCloseTo(-0.01, 5);
    optimizer.dispose();
    w.dispose();
  });
});
