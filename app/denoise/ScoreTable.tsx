import { formatDb } from "./format";
import type { Scores } from "./scores";

/**
 * The scores of a result (scores.ts), as a small table: PSNR and SSIM against the original, or, for a photo that
 * was already noisy (no reference), the estimated noise before and after; "–" until the result is there. `testIds` prefixes the cells' test ids ("full-" for
 * the whole photo, "" for the close look).
 */
export function ScoreTable({ scores, hasReference, testIds, caption }: { scores: Scores | null; hasReference: boolean; testIds: string; caption: string }) {
  const cell = "py-1 pl-4 text-right";
  if (!hasReference) {
    const estimated = scores?.kind === "no-reference" ? scores : null;
    const sigma = (value?: number) => (value === undefined ? "–" : `σ ≈ ${value.toFixed(3)}`);
    return (
      <div>
        <table className="w-full text-sm tabular-nums">
          <caption className="sr-only">{caption}: estimated noise level</caption>
          <thead>
            <tr className="border-b border-slate-300 text-left dark:border-slate-700">
              <th scope="col" className="py-1 font-medium">
                Noise, estimated
              </th>
              <th scope="col" className={`${cell} font-medium`}>
                level
              </th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row" className="py-1 text-left font-normal">
                Your photo
              </th>
              <td className={cell} data-testid={`${testIds}noise-before`}>
                {sigma(estimated?.sigmaNoisy)}
              </td>
            </tr>
            <tr className="font-semibold">
              <th scope="row" className="py-1 text-left">
                Denoised
              </th>
              <td className={cell} data-testid={`${testIds}noise-after`}>
                {sigma(estimated?.sigmaDenoised)}
              </td>
            </tr>
          </tbody>
        </table>
        <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
          With no clean original there is nothing to score against. Instead, the noise is estimated from each image
          alone, from its finest detail (Donoho &amp; Johnstone&apos;s wavelet estimate), on the scale of the σ
          slider: 0.1 is clearly grainy, under 0.02 looks clean.
        </p>
      </div>
    );
  }
  const reference = scores?.kind === "reference" ? scores : null;
  const row = (label: string, id: string, psnr?: number, ssim?: number, emphasis = false) => (
    <tr className={emphasis ? "font-semibold" : undefined}>
      <th scope="row" className={`py-1 text-left ${emphasis ? "" : "font-normal"}`}>
        {label}
      </th>
      <td className={cell} data-testid={`${testIds}psnr-${id}`}>
        {psnr === undefined ? "–" : formatDb(psnr)}
      </td>
      <td className={cell} data-testid={`${testIds}ssim-${id}`}>
        {ssim === undefined ? "–" : ssim.toFixed(3)}
      </td>
    </tr>
  );
  return (
    <table className="w-full text-sm tabular-nums">
      <caption className="sr-only">{caption}: quality against the original</caption>
      <thead>
        <tr className="border-b border-slate-300 text-left dark:border-slate-700">
          <th scope="col" className="py-1 font-medium">
            vs the original
          </th>
          <th scope="col" className={`${cell} font-medium`}>
            PSNR (dB)
          </th>
          <th scope="col" className={`${cell} font-medium`}>
            SSIM
          </th>
        </tr>
      </thead>
      <tbody>
        {row("Noisy", "noisy", reference?.psnrNoisy, reference?.ssimNoisy)}
        {row("Denoised", "denoised", reference?.psnrDenoised, reference?.ssimDenoised, true)}
      </tbody>
    </table>
  );
}
