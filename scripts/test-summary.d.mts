/** Types of scripts/test-summary.mjs, for the TypeScript tests that import it. */

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
  /** One line a counted failure, saying what failed. */
  problems: string[];
}

/** What scripts/vitest-errors-reporter.mjs writes. */
export interface UnhandledErrors {
  unhandledErrors: { type?: string; name?: string; message: string; file?: string; test?: string }[];
}

export function countPlaywright(report: unknown, exit: number | string): Counts;
export function countVitest(report: unknown, errors: UnhandledErrors | null, exit: number | string): Counts;
export function formatCounts(counts: Pick<Counts, "passed" | "failed" | "skipped">): string;
