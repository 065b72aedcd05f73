import type { Metadata } from "next";
import { readPublishedEvaluation } from "@/lib/server/published-evaluation";
import { SiteBreadcrumb } from "@/app/_components/SiteBreadcrumb";
import { LatentApp } from "./LatentApp";

export const metadata: Metadata = {
  title: "The MNIST latent plane · Autoencoders in your browser",
  description: "The 2-D codes of the MNIST test digits from a VAE, a deep autoencoder and PCA, with the VAE decoding live where the pointer goes.",
};

export default async function LatentPage() {
  const { knn5, vaeLoss } = await readPublishedEvaluation();
  return (
    <main className="mx-auto max-w-6xl px-4 py-8 sm:px-6">
      <SiteBreadcrumb />
      <h1 className="mt-2 text-3xl font-bold tracking-tight">The MNIST latent plane</h1>
      <p className="mt-3 max-w-3xl text-slate-700 dark:text-slate-300">
        A variational autoencoder (Kingma &amp; Welling, 2014) squeezes each 28×28 MNIST digit into two numbers. Here are the 10,000 test digits in
        that plane, beside the deterministic autoencoder and PCA of Hinton &amp; Salakhutdinov (2006); the VAE&apos;s decoder runs on your device
        (WebGPU, WebGL, WebAssembly or plain JavaScript) and turns any point of the plane back into a digit as you move over it.
      </p>
      <LatentApp modelsBase="/api/models" knn5={knn5} vaeLoss={vaeLoss} />
      <footer className="mt-10 border-t border-slate-300 pt-4 text-sm text-slate-700 dark:border-slate-700 dark:text-slate-300">
        MNIST: Y. LeCun, C. Cortes &amp; C. J. C. Burges. D. P. Kingma &amp; M. Welling, <i>Auto-Encoding Variational Bayes</i>, ICLR 2014; G. E.
        Hinton &amp; R. R. Salakhutdinov, <i>Reducing the Dimensionality of Data with Neural Networks</i>, Science 313 (2006).
      </footer>
    </main>
  );
}
