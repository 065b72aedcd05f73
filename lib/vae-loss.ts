/**
 * The VAE's loss for one digit, in nats, on plain numbers: what the latent page shows for a drawn digit, defined as
 * training defines it (training/models.ts `vaeLossTerms`, the same formulas on tensors, batch-averaged and
 * differentiable; tests/unit/training/vae-loss.test.ts holds the two equal). The negative ELBO is their sum.
 */

/** The decoder's pixel probabilities are clipped to [ε, 1 − ε] before the logarithm, so a sure miss costs ~16 nats, not ∞. */
export const BERNOULLI_EPSILON = 1e-7;

export interface VaeLossTerms {
  /** −log p(x | z) of the Bernoulli decoder: binary cross-entropy summed over the pixels. */
  reconstruction: number;
  /** KL divergence of the encoder's Gaussian N(mean, exp(logVar)) from the prior N(0, I), in closed form. */
  kl: number;
}

/** Binary cross-entropy of the pixels `x` (in [0, 1]) under the decoder's probabilities `p`, summed, in nats. */
export function bernoulliNll(x: ArrayLike<number>, p: ArrayLike<number>): number {
  if (x.length !== p.length) throw new RangeError(`${x.length} pixels against ${p.length} probabilities`);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const q = Math.min(1 - BERNOULLI_EPSILON, Math.max(BERNOULLI_EPSILON, p[i]));
    sum -= x[i] * Math.log(q) + (1 - x[i]) * Math.log(1 - q);
  }
  return sum;
}

/** KL(N(mean, exp(logVar)) ‖ N(0, I)) = ½ Σ (mean² + exp(logVar) − 1 − logVar), in nats. */
export function gaussianKl(mean: ArrayLike<number>, logVar: ArrayLike<number>): number {
  if (mean.length !== logVar.length) throw new RangeError(`${mean.length} means against ${logVar.length} log-variances`);
  let sum = 0;
  for (let i = 0; i < mean.length; i++) sum += mean[i] ** 2 + Math.exp(logVar[i]) - 1 - logVar[i];
  return 0.5 * sum;
}

/** Both terms for one digit `x`, its decoding `p` and its code's mean and log-variance. */
export function vaeLossTerms(x: ArrayLike<number>, p: ArrayLike<number>, mean: ArrayLike<number>, logVar: ArrayLike<number>): VaeLossTerms {
  return { reconstruction: bernoulliNll(x, p), kl: gaussianKl(mean, logVar) };
}

/** The reparameterisation trick: the sample z = mean + exp(logVar / 2) · ε, for a draw ε ~ N(0, I). */
export function reparameterize(mean: readonly number[], logVar: readonly number[], epsilon: readonly number[]): number[] {
  return mean.map((m, i) => m + Math.exp(logVar[i] / 2) * epsilon[i]);
}
