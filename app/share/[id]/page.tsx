import type { Metadata } from "next";
import { SiteBreadcrumb } from "@/app/_components/SiteBreadcrumb";
import { notFound } from "next/navigation";
import { readShare } from "@/lib/server/share";
import { formatShareDate, SHARE_IMAGES, shareImageUrl } from "@/lib/share-urls";
import { DeleteShare } from "./DeleteShare";
import { DenoiseYourOwn } from "./DenoiseYourOwn";

/**
 * A shared result: the noisy and the denoised face someone chose to share from the denoising page. An id that is
 * not a live share (unknown, malformed, expired or deleted) renders ./not-found.tsx with a 404; the sharer's
 * delete link is this page with `#delete=<token>`, which shows the delete button (./DeleteShare.tsx).
 */

export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "A shared denoised face · Autoencoders in your browser",
  robots: { index: false },
};

const NOISE_NAMES = { none: "no added noise", gaussian: "gaussian noise, σ", "salt-pepper": "salt-and-pepper noise,", masking: "masking noise," } as const;

const db = (value: number | null | undefined) => (typeof value === "number" ? `${value.toFixed(2)} dB` : "∞ dB");

export default async function SharePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const share = await readShare(id);
  if (!share) notFound();
  const { noise, metrics } = share;
  return (
    <main className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
      <SiteBreadcrumb />
      <h1 className="mt-2 text-3xl font-bold tracking-tight">A shared denoised face</h1>
      <p className="mt-3 text-slate-700 dark:text-slate-300">
        {noise.kind === "none" ? "Denoised as it came, with no added noise" : `With ${NOISE_NAMES[noise.kind]} ${noise.level}`}, shared on{" "}
        {formatShareDate(share.createdAt)}; kept until {formatShareDate(share.expiresAt)} at the latest.
      </p>
      <div className="mt-6 grid grid-cols-2 gap-4">
        {SHARE_IMAGES.map((name) => (
          <figure key={name} className="m-0">
            {/* eslint-disable-next-line @next/next/no-img-element -- a 64x64 PNG shown pixel for pixel, scaled up */}
            <img
              src={shareImageUrl(share.id, name)}
              alt={`${name === "noisy" ? "Noisy" : "Denoised"} face, ${share.width}×${share.height}`}
              width={share.width}
              height={share.height}
              className="w-full rounded-md [image-rendering:pixelated]"
              data-testid={`shared-${name}`}
            />
            <figcaption className="mt-1 text-center text-sm font-medium">
              {name === "noisy" ? "Noisy" : "Denoised"}
              {metrics.psnrNoisy !== undefined && ` · PSNR ${db(name === "noisy" ? metrics.psnrNoisy : metrics.psnrDenoised)}`}
            </figcaption>
          </figure>
        ))}
      </div>
      <DeleteShare id={share.id} />
      <DenoiseYourOwn />
    </main>
  );
}
