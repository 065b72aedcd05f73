import { describe, expect, it } from "vitest";
import { BERNOULLI_EPSILON, bernoulliNll, gaussianKl, reparameterize, vaeLossTerms } from "@/lib/vae-loss";

describe("the VAE's loss for one digit", () => {
  it("has known values", () => {
    // Each pixel costs ln 2 against p = 0.5 whatever x is; KL = 0.5 * (1² + (4 - 1 - ln 4)).
    const terms = vaeLossTerms([0, 1, 0.5, 1], [0.5, 0.5, 0.5, 0.5], [1, 0], [0, Math.log(4)]);
    expect(terms.reconstruction).toBeCloseTo(4 * Math.log(2), 12);
    expect(terms.kl).toBeCloseTo(0.5 * (1 + 4 - 1 - Math.log(4)), 12);
  });

  it("is zero KL at the prior, positive elsewhere; a perfect binary reconstruction costs almost nothing", () => {
    expect(gaussianKl([0, 0], [0, 0])).toBe(0);
    expect(gaussianKl([0.1, 0], [0, 0])).toBeGreaterThan(0);
    expect(gaussianKl([0, 0], [-3, 0])).toBeGreaterThan(0);
    expect(bernoulliNll([0, 1, 1], [0, 1, 1])).toBeLessThan(1e-5);
  });

  it("clips the probabilities: a sure miss costs -ln ε, not infinity", () => {
    expect(bernoulliNll([1], [0])).toBeCloseTo(-Math.log(BERNOULLI_EPSILON), 6);
    expect(bernoulliNll([0], [1])).toBeCloseTo(-Math.log(BERNOULLI_EPSILON), 3);
  });

  it("refuses mismatched lengths", () => {
    expect(() => bernoulliNll([0, 1], [0.5])).toThrow(RangeError);
    expect(() => gaussianKl([0, 1], [0])).toThrow(RangeError);
  });

  it("samples by the reparameterisation trick: mean plus spread times the draw", () => {
    expect(reparameterize([1, -2], [0, Math.log(0.25)], [0.5, 2])).toEqual([1.5, -1]);
  });
});
