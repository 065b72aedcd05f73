import { RUNS } from "../../lib/catalogue";
import type { Evaluation, FaceResult } from "../../lib/evaluation";
import type { Anchors } from "./anchors";
import { FIGURE_PATHS } from "./figures";
import { dB, formatCount, signed } from "./format";
import { ELBO_SAMPLES, EMBEDDING_TITLES, LATENT_GRID_STEPS, NOISE_SETTINGS } from "./settings";

/** REPORT.md, section by section, in Markdown. */

/** The tables the command prints when it is done, and the heart of the report. */
export function resultSections(evaluation: Evaluation, anchors: Anchors): string[] {
  return [targetsSection(evaluation), facesSection(evaluation), anchorsSection(evaluation, anchors), mnistSection(evaluation)];
}

export function renderReport(evaluation: Evaluation, anchors: Anchors): string {
  const { environment: env } = evaluation;
  const header = [
    "# Evaluation report",
    "",
    `Generated ${evaluation.generatedAt} by \`${evaluation.command}\` in ${evaluation.seconds} s: Node ${env.node}, ` +
      `${env.platform}, ${env.cpu}, TensorFlow.js ${env.tfjs} on the ${env.backend} backend. The numbers are also in ` +
      "`evaluation.json`.",
  ].join("\n");
  return `${[header, ...resultSections(evaluation, anchors), figuresSection(evaluation), trainingSection(evaluation)].join("\n\n")}\n`;
}

function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

function targetsSection({ targets }: Evaluation): string {
  const passed = targets.filter((t) => t.pass).length;
  return [
    `## Targets: ${passed} of ${targets.length} met`,
    "",
    table(["target", "measured", "result"], targets.map((t) => [t.target, t.measured, t.pass ? "✅ pass" : "❌ fail"])),
  ].join("\n");
}

function facesSection({ faces }: Evaluation): string {
  const metricTable = (metric: keyof FaceResult["dae"], format: (v: number) => string) =>
    table(
      ["noise", "noisy input", "gaussian blur (best σ)", "median (best window)", "DAE", "DAE − best classical"],
      faces.settings.map((r) => [
        r.label,
        format(r.noisy[metric]),
        `${format(r.blur[metric])} (σ ${r.blur.sigma})`,
        `${format(r.median[metric])} (${r.median.window}x${r.median.window})`,
        `**${format(r.dae[metric])}**`,
        signed(r.dae[metric] - Math.max(r.blur[metric], r.median[metric]), metric === "psnr" ? 2 : 3),
      ]),
    );
  return [
    "## Face denoising",
    "",
    `${formatCount(faces.count)} test faces (${faces.source}), 64x64 RGB. Each noisy face is drawn with a fixed seed per face and ` +
      "setting and rounded to 8 bits, as a real noisy photo would be. Each classical filter's parameter is the one " +
      "with the best mean PSNR on this very set (an oracle, as in the anchors): blur σ from 0.5 to 2.5 in steps of " +
      "0.25, median windows 3x3 and 5x5, both per channel with reflected borders. Metrics are averaged per image; SSIM " +
      "is Wang et al. (2004): 11x11 gaussian window, σ 1.5, per channel.",
    "",
    "PSNR (dB):",
    "",
    metricTable("psnr", dB),
    "",
    "SSIM:",
    "",
    metricTable("ssim", (v) => v.toFixed(3)),
  ].join("\n");
}

/** `faces.settings` are in NOISE_SETTINGS' order, as evaluateFaces returns them. */
function anchorsSection({ faces }: Evaluation, anchors: Anchors): string {
  const rows = faces.settings.map((r, i) => {
    const a = anchors.settings[NOISE_SETTINGS[i].id];
    return [
      r.label,
      `${dB(r.noisy.psnr)} / ${dB(a.noisy)}`,
      `${dB(r.blur.psnr)} / ${dB(a.blur)}`,
      `${dB(r.median.psnr)} / ${dB(a.median)}`,
      `${dB(a.bestClassical.psnr)} (${a.bestClassical.name})`,
      `**${dB(r.dae.psnr)}**`,
      dB(a.plainAutoencoder),
      dB(a.overcomplete),
      `${dB(a.bestPyTorch.psnr)} (${a.bestPyTorch.name})`,
    ];
  });
  return [
    "### Against the anchors",
    "",
    "From `../shared/docs/dae-anchors.md`: PSNR in dB on 500 other held-out CelebA faces, 8-bit noisy inputs, classical " +
      "filters at their oracle parameter; PyTorch models trained blind on the same training file for 55 s on one H100 " +
      "unless noted. Cells with two figures read *ours / anchor*.",
    "",
    table(
      ["noise", "noisy input", "gaussian blur", "median", "best classical (anchor)", "our DAE", "PyTorch plain conv AE", "PyTorch overcomplete 6 convs x 64", "best PyTorch"],
      rows,
    ),
  ].join("\n");
}

function mnistSection({ mnist }: Evaluation): string {
  const { knn5, squaredError } = mnist;
  const [vae, ae2d, pca2d] = [RUNS.vae.name, RUNS.ae2d.name, RUNS.pca2d.name];
  return [
    "## MNIST",
    "",
    `${formatCount(mnist.testDigits)} test digits; the 5-NN search looks among the codes of ${formatCount(mnist.trainDigits)} training digits, ` +
      "encoded by the same model, and breaks ties by the nearest of the tied labels.",
    "",
    table(
      ["VAE test negative ELBO (nats per digit)", "reconstruction (Bernoulli)", "KL"],
      [[`**${mnist.vae.negativeElbo.toFixed(2)}**`, mnist.vae.reconstruction.toFixed(2), mnist.vae.kl.toFixed(2)]],
    ),
    "",
    `The ELBO is averaged over ${ELBO_SAMPLES} latent draws per digit; grey levels are the Bernoulli targets, as in training.`,
    "",
    table(
      ["2-D codes", "5-NN accuracy", "squared reconstruction error per digit"],
      [
        [EMBEDDING_TITLES[vae], knn5[vae].toFixed(3), "–"],
        [EMBEDDING_TITLES[ae2d], knn5[ae2d].toFixed(3), squaredError[ae2d].toFixed(2)],
        [EMBEDDING_TITLES[pca2d], knn5[pca2d].toFixed(3), squaredError[pca2d].toFixed(2)],
      ],
    ),
    "",
    "The squared error is summed over a digit's 784 pixels (in [0, 1]) and averaged over the test digits, as Hinton & " +
      "Salakhutdinov (2006) report it.",
  ].join("\n");
}

function figuresSection({ faces }: Evaluation): string {
  const denoising = faces.settings.flatMap((r) => [`**${r.label}**`, "", `![${r.label}: clean, noisy, DAE](${FIGURE_PATHS.denoising(r.id)})`, ""]);
  return [
    "## Figures",
    "",
    "Denoising: clean, noisy and DAE rows for the same test faces, upscaled 2x (nearest neighbour).",
    "",
    ...denoising,
    "The 2-D codes of the MNIST test digits, coloured by digit (compare Hinton & Salakhutdinov 2006, Fig. 3). Axes " +
      "span each code's 0.1 to 99.9 percentiles.",
    "",
    `![latent scatters: VAE, autoencoder, PCA](${FIGURE_PATHS.latentScatter})`,
    "",
    `The VAE decoder over a ${LATENT_GRID_STEPS}x${LATENT_GRID_STEPS} grid of the latent plane, z = Φ⁻¹(p) for p from ` +
      "0.05 to 0.95 in each dimension, z₁ to the right and z₂ upwards (as Kingma & Welling 2014, Fig. 4).",
    "",
    `![VAE latent grid](${FIGURE_PATHS.latentGrid})`,
  ].join("\n");
}

function trainingSection({ training }: Evaluation): string {
  return [
    "## How the models were trained",
    "",
    "From the models folder's `manifest.json`:",
    "",
    table(
      ["model", "backend", "seconds", "examples seen", "epochs", "trained at"],
      Object.entries(training).map(([name, t]) => [name, t.backend, t.seconds.toFixed(0), formatCount(t.examplesSeen), t.epochs, t.trainedAt]),
    ),
  ].join("\n");
}
