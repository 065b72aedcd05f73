/** What `npm run evaluate` records of the two classical filters it tunes on a noise setting. */
export interface ClassicalScores {
  blur: { sigma: number; psnr: number };
  median: { window: number; psnr: number };
}

/** The better of the two by PSNR (a tie goes to the blur), named with its parameter: the DAE's yardstick. */
export function bestClassical({ blur, median }: ClassicalScores): { name: string; psnr: number } {
  return blur.psnr >= median.psnr
    ? { name: `gaussian blur σ ${blur.sigma}`, psnr: blur.psnr }
    : { name: `median ${median.window}×${median.window}`, psnr: median.psnr };
}
