/** How the evaluation writes its numbers, the same in the progress lines, the targets and the report. */

/** Where progress lines go: the console, or nowhere in the tests. */
export type Log = (line: string) => void;

/** PSNR in dB, to the hundredth the anchors are given to. */
export const dB = (value: number) => value.toFixed(2);

export const formatCount = (value: number) => value.toLocaleString("en");

/** A difference with its sign spelled out, a true minus sign for a loss. */
export const signed = (value: number, digits = 2) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(digits)}`;
