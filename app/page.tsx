import Link from "next/link";
import type { ReactNode } from "react";
import { type PublishedEvaluation, readPublishedEvaluation } from "@/lib/server/published-evaluation";
import { bestClassical } from "@/lib/evaluation";
import { HOME_NOISE, HOME_PICTURES, illustrationPath } from "@/lib/illustrations";

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

/**
 * What each demo does, shown: real outputs of the shipped models (made by `npm run make:derived`,
 * lib/illustrations.ts), not stock pictures.
 */
function DenoisePicture() {
  const face = (name: string, alt: string, label: string) => (
    <figure className="m-0 flex-1">
      {/* eslint-disable-next-line @next/next/no-img-element -- a 64x64 PNG shown pixel for pixel, scaled up */}
      <img src={illustrationPath(name)} alt={alt} width={64} height={64} className="block h-auto w-full rounded-md [image-rendering:pixelated]" />
      <figcaption className="mt-1 text-center text-xs text-slate-600 dark:text-slate-400">{label}</figcaption>
    </figure>
  );
  return (
    <div className="mx-auto flex max-w-64 items-center gap-2" data-testid="home-denoise-picture">
      {face(HOME_PICTURES.noisy, `A test face with gaussian noise, σ ${HOME_NOISE.level}`, "noisy")}
      <span aria-hidden className="text-slate-500">
        →
      </span>
      {face(HOME_PICTURES.denoised, "The same face denoised by the shipped model", "denoised")}
    </div>
  );
}

function LatentPicture() {
  return (
    // eslint-disable-next-line @next/next/no-img-element -- a small PNG drawn from the shipped codes
    <img
      src={illustrationPath(HOME_PICTURES.latent)}
      alt="The VAE's latent plane: the 10,000 MNIST test digits as dots at their two numbers, coloured by digit, in clusters"
      width={320}
      height={320}
      data-testid="home-latent-picture"
      className="mx-auto block h-auto w-2/3 max-w-56"
    />
  );
}

const demos: { href: string; figure: (e: PublishedEvaluation) => string | null; title: string; text: string; picture: ReactNode }[] = [
  {
    href: "/denoise",
    figure: denoiseFigure,
    title: "Denoise a face",
    text: "Upload a photo, add gaussian, salt-and-pepper or masking noise, and watch a convolutional denoising autoencoder clean it up on your own device.",
    picture: <DenoisePicture />,
  },
  {
    href: "/latent",
    figure: latentFigure,
    title: "Explore the MNIST latent plane",
    text: "A variational autoencoder squeezes every handwritten digit into two numbers. Move over the plane and see the digit it decodes to, beside a deep autoencoder and PCA.",
    picture: <LatentPicture />,
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
                {demo.picture}
                <h2 className="mt-4 text-xl font-semibold">{demo.title}</h2>
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
