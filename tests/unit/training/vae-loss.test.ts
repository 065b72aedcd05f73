import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { createRandom } from "@/lib/random";
import { vaeLossTerms as digitLossTerms } from "@/lib/vae-loss";
import { vaeLossTerms } from "@/training/models";

/** The latent page's loss for one digit (lib/vae-loss.ts) is training's loss (training/models.ts), term by term. */
describe("the VAE loss on the page and in training", () => {
  it("agree digit by digit on random digits, decodings and codes", () => {
    const random = createRandom(11);
    const pixels = 784;
    for (let digit = 0; digit < 5; digit++) {
      // Ink in a blob, the decoder's probabilities anywhere in (0, 1) and a few at the clipping edges.
      const x = Array.from({ length: pixels }, () => (random.uniform() < 0.2 ? random.uniform() : 0));
      const p = Array.from({ length: pixels }, (_, i) => (i % 97 === 0 ? (i % 2 ? 0 : 1) : random.uniform()));
      const mean = [random.normal() * 2, random.normal() * 2];
      const logVar = [random.normal() - 3, random.normal() - 3];
      const page = digitLossTerms(x, p, mean, logVar);
      const trained = tf.tidy(() => {
        const terms = vaeLossTerms(tf.tensor2d([x]), tf.tensor2d([p]), tf.tensor2d([mean]), tf.tensor2d([logVar]));
        return [terms.reconstruction.dataSync()[0], terms.kl.dataSync()[0]];
      });
      // float32 in tfjs against float64 here: a relative error of about 1e-6 per term, summed over 784 pixels.
      expect(page.reconstruction).toBeGreaterThan(100);
      expect(Math.abs(page.reconstruction - trained[0]) / page.reconstruction).toBeLessThan(2e-3);
      expect(Math.abs(page.kl - trained[1])).toBeLessThan(1e-3 * Math.max(1, page.kl));
    }
  });
});
