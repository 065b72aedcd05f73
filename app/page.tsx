import Link from "next/link";
import { type PublishedEvaluation, readPublishedEvaluation } from "@/lib/server/published-evaluation";
import { bestClassical } from "@/lib/evaluation";

/** One measured line per demo from models/evaluation.json, or null before `npm run evaluate` has run. */
function denoiseFigure({ faces }: PublishedEvaluation): string | null {
  const setting = faces?.settings.find((s) => s.id === "gaussian-0.1");
  if (!faces || !setting) return null;
  const gain = setting.dae.psnr - bestClassical(setting).psnr;
  return `${setting.dae.psnr.toFixed(2)} dB PSNR on ${faces.count.toLocaleString("en")} unseen faces at gaussian σ 0.1: ${gain >= 0 ? "+" : "−"}${Math.abs(gain).toFixed(2)} dB over the best classical filter.`;
}

function latentFigure({ knn5 }: PublishedEvaluation): string | null {
  if (knn5?.vae === undefined || knn5.ae2d === undefined || knn5.pca2d === undefined) return null;
  const percent = (accuracy: number) => `${Math.round(accuracy * 100)}%`;
  return `Digits told apart by their two numbers alone (5-NN): VAE ${percent(knn5.vae)}, deep autoencoder ${percent(knn5.ae2d)}, PCA ${percent(knn5.pca2d)}.`;
}

const demos = [
  {
    href: "/denoise",
    figure: denoiseFigure,
    title: "Denoise a face",
    text: "Upload a photo, add gaussian, salt-and-pepper or masking noise, and watch a convolutional denoising autoencoder clean it up on your own device.",
  },
  {
    href: "/latent",
    figure: latentFigure,
    title: "Explore the MNIST latent plane",
    text: "A variational autoencoder squeezes every handwritten digit into two numbers. Move over the plane and see the digit it decodes to, beside a deep autoencoder and PCA.",
  },
];

export default async function Home() {
  const evaluation = await readPublishedEvaluation();
  return (
    <main className="mx-auto max-w-3xl px-6 py-16">
      <h1 className="text-4xl font-bold tracking-tight">Autoencoders in your browser</h1>
      <p className="mt-4 text-lg text-slate-700 dark:text-slate-300">
        Real models, trained by this project&apos;s own TensorFlow.js script, running on your GPU (WebGPU or WebGL),
        your CPU (WebAssembly), or our server when nothing else works.
      </p>
      <ul className="mt-10 grid gap-6 sm:grid-cols-2">
        {demos.map((demo) => {
          const figure = demo.figure(evaluation);
          return (
            <li key={demo.href}>
              <Link
                href={demo.href}
                className="block h-full rounded-xl border border-slate-300 p-6 transition hover:border-slate-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 dark:border-slate-700"
              >
                <h2 className="text-xl font-semibold">{demo.title}</h2>
                <p className="mt-2 text-slate-700 dark:text-slate-300">{demo.text}</p>
                {figure && <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">{figure}</p>}
              </Link>
            </li>
          );
        })}
      </ul>
      <p className="mt-12 text-sm text-slate-600 dark:text-slate-400">
        Face photos: CelebA (Liu, Luo, Wang &amp; Tang, <i>Deep Learning Face Attributes in the Wild</i>, ICCV 2015),
        for non-commercial research only. Digits: MNIST (LeCun, Cortes &amp; Burges).
      </p>
    </main>
  );
}
