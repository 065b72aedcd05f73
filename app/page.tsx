import Link from "next/link";

const demos = [
  {
    href: "/denoise",
    title: "Denoise a face",
    text: "Upload a photo, add gaussian, salt-and-pepper or masking noise, and watch a convolutional denoising autoencoder clean it up on your own device.",
  },
  {
    href: "/latent",
    title: "Explore the MNIST latent plane",
    text: "A variational autoencoder squeezes every handwritten digit into two numbers. Move over the plane and see the digit it decodes to, beside a deep autoencoder and PCA.",
  },
];

export default function Home() {
  return (
    <main className="mx-auto max-w-3xl px-6 py-16">
      <h1 className="text-4xl font-bold tracking-tight">Autoencoders in your browser</h1>
      <p className="mt-4 text-lg text-slate-700 dark:text-slate-300">
        Real models, trained by this project&apos;s own TensorFlow.js script, running on your GPU (WebGPU or WebGL),
        your CPU (WebAssembly), or our server when nothing else works.
      </p>
      <ul className="mt-10 grid gap-6 sm:grid-cols-2">
        {demos.map((demo) => (
          <li key={demo.href}>
            <Link
              href={demo.href}
              className="block h-full rounded-xl border border-slate-300 p-6 transition hover:border-slate-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 dark:border-slate-700"
            >
              <h2 className="text-xl font-semibold">{demo.title}</h2>
              <p className="mt-2 text-slate-700 dark:text-slate-300">{demo.text}</p>
            </Link>
          </li>
        ))}
      </ul>
      <p className="mt-12 text-sm text-slate-600 dark:text-slate-400">
        Face photos: CelebA (Liu, Luo, Wang &amp; Tang, <i>Deep Learning Face Attributes in the Wild</i>, ICCV 2015),
        for non-commercial research only. Digits: MNIST (LeCun, Cortes &amp; Burges).
      </p>
    </main>
  );
}
