import { RUNS } from "../../lib/catalogue";
import { bestClassical, type Evaluation, type FaceResult, type MnistResult } from "../../lib/evaluation";
import { dB, signed } from "./format";
import { KNN_MARGIN_OVER_PCA, MAX_NEGATIVE_ELBO, NOISE_SETTINGS } from "./settings";

/** The targets the models must meet, each checked against what was measured. */

type TargetCheck = Evaluation["targets"][number];

/** `faces` are in NOISE_SETTINGS' order, as evaluateFaces returns them. */
export function checkTargets(faces: FaceResult[], mnist: MnistResult): TargetCheck[] {
  return [
    ...faces.map((result, i) => faceTarget(result, NOISE_SETTINGS[i].requiredMargin)),
    {
      target: `VAE test negative ELBO ≤ ${MAX_NEGATIVE_ELBO} nats`,
      measured: `${mnist.vae.negativeElbo.toFixed(1)} nats (reconstruction ${mnist.vae.reconstruction.toFixed(1)} + KL ${mnist.vae.kl.toFixed(1)})`,
      pass: mnist.vae.negativeElbo <= MAX_NEGATIVE_ELBO,
    },
    knnTarget("VAE", mnist.knn5[RUNS.vae.name], mnist.knn5[RUNS.pca2d.name]),
    knnTarget("AE", mnist.knn5[RUNS.ae2d.name], mnist.knn5[RUNS.pca2d.name]),
  ];
}

function faceTarget(result: FaceResult, requiredMargin: number): TargetCheck {
  const best = bestClassical(result);
  const margin = result.dae.psnr - best.psnr;
  return {
    target:
      requiredMargin > 0
        ? `${result.label}: DAE ≥ best classical filter + ${requiredMargin} dB PSNR`
        : `${result.label}: DAE beats the best classical filter (PSNR)`,
    measured: `DAE ${dB(result.dae.psnr)} dB, ${best.name} ${dB(best.psnr)} dB: ${signed(margin)} dB`,
    pass: requiredMargin > 0 ? margin >= requiredMargin : margin > 0,
  };
}

function knnTarget(name: string, accuracy: number, pcaAccuracy: number): TargetCheck {
  return {
    target: `${name} 5-NN accuracy far above PCA's (here: ≥ PCA + ${KNN_MARGIN_OVER_PCA})`,
    measured: `${name} ${accuracy.toFixed(3)}, PCA ${pcaAccuracy.toFixed(3)}: ${signed(accuracy - pcaAccuracy, 3)}`,
    pass: accuracy >= pcaAccuracy + KNN_MARGIN_OVER_PCA,
  };
}
