import type { Metadata } from "next";
import { readPublishedEvaluation } from "@/lib/server/published-evaluation";
import { SiteBreadcrumb } from "@/app/_components/SiteBreadcrumb";
import { SAMPLE_FACE_INDICES, sampleFacePath } from "@/lib/samples";
import { DenoiseApp, type Sample } from "./DenoiseApp";
import { DenoiseScores } from "./DenoiseScores";
import { HowItWorks } from "./HowItWorks";

export const metadata: Metadata = {
  title: "Denoise a face · Autoencoders in your browser",
  description: "Upload a photo, add noise, and see a convolutional denoising autoencoder clean it up on your own device.",
};

const SAMPLES: Sample[] = SAMPLE_FACE_INDICES.map((index, i) => ({
  src: sampleFacePath(index),
  alt: `Sample face ${i + 1} from the CelebA test set`,
}));

export default async function DenoisePage() {
  const { faces } = await readPublishedEvaluation();
  return (
    <main className="mx-auto max-w-5xl px-4 py-8 sm:px-6">
      <SiteBreadcrumb />
      <h1 className="mt-2 text-3xl font-bold tracking-tight">Denoise a face</h1>
      <p className="mt-3 max-w-3xl text-slate-700 dark:text-slate-300">
        A convolutional denoising autoencoder, trained blind on CelebA faces with gaussian, salt-and-pepper and masking
        noise, cleans up your whole photo, at a size your device finishes in about two seconds (or larger, if you
        choose). It runs on your device (WebGPU, WebGL, WebAssembly or plain JavaScript, whichever works first), in a
        background thread; your photo is not uploaded unless nothing on your device can run the model.
      </p>
      {/* Models come through the app (GET /api/models/...), from models/ or the configured Blob store. */}
      <DenoiseApp modelsBase="/api/models" samples={SAMPLES} />
      <HowItWorks />
      {faces && <DenoiseScores faces={faces} />}
      <footer className="mt-10 border-t border-slate-300 pt-4 text-sm text-slate-700 dark:border-slate-700 dark:text-slate-300">
        Sample faces and training data: CelebA (Z. Liu, P. Luo, X. Wang &amp; X. Tang, <i>Deep Learning Face Attributes in the
        Wild</i>, ICCV 2015), for non-commercial research only; the images&apos; copyright stays with their owners. PSNR and
        SSIM as in Wang, Bovik, Sheikh &amp; Simoncelli (2004).
      </footer>
    </main>
  );
}
