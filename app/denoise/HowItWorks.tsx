import { Card } from "@/app/_components/Card";
import { illustrationPath, STRIP_CLEAN, stripPicture, TRAINING_CORRUPTIONS } from "@/lib/illustrations";

/**
 * The DAE's "how it works" strip: one face, each corruption it was trained on, and what the shipped network makes
 * of it. The pictures are the model's real outputs, made by `npm run make:derived` (lib/illustrations.ts).
 */

function Face({ name, alt }: { name: string; alt: string }) {
  return (
    // eslint-disable-next-line @next/next/no-img-element -- 64x64 PNGs shown pixel for pixel, scaled up
    <img src={illustrationPath(name)} alt={alt} width={64} height={64} className="block h-auto w-full rounded-md [image-rendering:pixelated]" />
  );
}

export function HowItWorks() {
  return (
    <Card className="mt-6" title="How it works" data-testid="how-it-works">
      <p className="mt-1 max-w-3xl text-sm text-slate-700 dark:text-slate-300">
        In training, each face came spoiled in one of these ways, at a random strength, and the network had to give
        back the clean face. Below: a face it never saw, spoiled, and its answer.
      </p>
      <ol className="mt-3 grid max-w-xl grid-cols-4 gap-3 sm:gap-5">
        <li>
          <figure className="m-0">
            <Face name={STRIP_CLEAN} alt="A test face, clean" />
            <figcaption className="mt-1 text-center text-xs sm:text-sm">The face</figcaption>
          </figure>
        </li>
        {TRAINING_CORRUPTIONS.map(({ id, label }) => (
          <li key={id}>
            <figure className="m-0">
              <Face name={stripPicture(id, "noisy")} alt={`The face with ${label}`} />
              <p aria-hidden className="text-center text-slate-500">
                ↓
              </p>
              <Face name={stripPicture(id, "denoised")} alt={`What the network made of the face with ${label}`} />
              <figcaption className="mt-1 text-center text-xs sm:text-sm">{label}</figcaption>
            </figure>
          </li>
        ))}
      </ol>
      <p className="mt-3 max-w-3xl text-sm text-slate-700 dark:text-slate-300">
        Some faces came clean, so it also learned to leave a clean photo alone. Made of convolutions only, it works
        on a photo of any size, each pixel from the few dozen pixels around it.
      </p>
    </Card>
  );
}
