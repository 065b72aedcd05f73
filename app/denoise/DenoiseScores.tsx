import { Card } from "@/app/_components/Card";
import { bestClassical, type FaceScores } from "@/lib/evaluation";
import { formatDb } from "./format";

/** How the shipped model scores on the held-out faces against classical filters, from `npm run evaluate`. */
export function DenoiseScores({ faces }: { faces: FaceScores }) {
  return (
    <Card
      className="mt-6"
      title="How well it denoises"
      intro={
        <>
          PSNR in dB on {faces.count.toLocaleString("en")} held-out test faces (people the model never saw), with 8-bit noisy inputs as a real photo
          has. Each classical filter gets the parameter that scores best on these very faces, so it is as strong as it can be.
        </>
      }
    >
      <div className="mt-3 overflow-x-auto">
        <table className="w-full text-xs whitespace-nowrap tabular-nums sm:text-sm" data-testid="denoise-scores">
          <thead>
            <tr className="border-b border-slate-300 text-left dark:border-slate-700">
              <th className="py-1 pr-2 sm:pr-4 font-medium">Noise</th>
              <th className="py-1 pr-2 sm:pr-4 text-right font-medium">Noisy</th>
              <th className="py-1 pr-2 sm:pr-4 text-right font-medium">Best filter</th>
              <th className="py-1 pr-2 sm:pr-4 text-right font-medium">Our model</th>
              <th className="py-1 text-right font-medium">Gain</th>
            </tr>
          </thead>
          <tbody>
            {faces.settings.map((s) => {
              const classical = bestClassical(s);
              return (
                <tr key={s.id} className="border-b border-slate-200 last:border-0 dark:border-slate-800">
                  <th scope="row" className="py-1 pr-2 sm:pr-4 text-left font-normal whitespace-normal">
                    {s.label}
                  </th>
                  <td className="py-1 pr-2 sm:pr-4 text-right">{formatDb(s.noisy.psnr)}</td>
                  <td className="py-1 pr-2 sm:pr-4 text-right">
                    {formatDb(classical.psnr)} <span className="hidden text-slate-600 sm:inline dark:text-slate-400">({classical.name})</span>
                  </td>
                  <td className="py-1 pr-2 sm:pr-4 text-right font-semibold">{formatDb(s.dae.psnr)}</td>
                  <td className="py-1 text-right">{`${s.dae.psnr >= classical.psnr ? "+" : "−"}${formatDb(Math.abs(s.dae.psnr - classical.psnr))}`}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
