import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { countPlaywright, countVitest, formatCounts, type Counts } from "../../scripts/test-summary.mjs";

/**
 * The counting behind `npm test`'s summary line, on real reports of each case (tests/fixtures/reports/, README.md
 * there says how each was made): errors outside any test, unhandled errors, interrupted runs and missing reports all
 * count as failures, and a suite that exited non-zero never counts 0 failed.
 */

const DIR = path.resolve("tests/fixtures/reports");
interface Run {
  tool: "playwright" | "vitest";
  status: number | null;
  signal: string | null;
  report: string | null;
  errors?: string | null;
}
const runs = JSON.parse(readFileSync(path.join(DIR, "runs.json"), "utf8")) as Record<string, Run>;
const read = (file: string | null | undefined) => (file ? JSON.parse(readFileSync(path.join(DIR, file), "utf8")) : null);
const exitOf = (run: Run) => run.status ?? run.signal ?? "an unknown signal";

function count(name: string): Counts {
  const run = runs[name];
  return run.tool === "playwright" ? countPlaywright(read(run.report), exitOf(run)) : countVitest(read(run.report), read(run.errors), exitOf(run));
}

/** passed, failed, skipped, and a pattern for each problem line, in order. */
const EXPECTED: Record<string, [number, number, number, RegExp[]]> = {
  // Skips by test.skip, test.fixme and test.skip() in the test, a beforeAll, a beforeEach or a describe count as
  // skipped; a test after a failure in a serial group never ran and fails.
  "playwright-normal": [
    1,
    4,
    7,
    [/^failed: a\.spec\.ts › fails$/, /^flaky \(passed only on a retry\): a\.spec\.ts › is flaky$/, /^failed: a\.spec\.ts › serial › fails$/, /^did not finish: a\.spec\.ts › serial › never runs/],
  ],
  "playwright-load-error": [0, 1, 0, [/^error: Error: Cannot find module '.*\/does-not-exist' imported from .*\/broken\.spec\.ts$/]],
  "playwright-web-server": [0, 1, 0, [/^error: Error: Process from config\.webServer was not able to start\. Exit code: 3$/]],
  "playwright-global-setup": [0, 1, 0, [/^error: .*global-setup\.ts:1: Error: global setup failed$/]],
  "playwright-sigint": [1, 2, 1, [/^interrupted: a\.spec\.ts › hangs$/, /^did not finish: a\.spec\.ts › never starts$/]],
  "playwright-global-timeout": [
    1,
    4,
    1,
    [/^error: Timed out waiting 5s for the test suite to run$/, /^error: Timed out waiting 5s for the teardown/, /^did not finish: a\.spec\.ts › hangs$/, /^did not finish: a\.spec\.ts › never starts$/],
  ],
  "vitest-normal": [1, 3, 3, [/^failed: .*a\.test\.mjs › fails$/, /^error: .*hook\.test\.mjs: beforeAll failed$/, /^error: .*load-error\.test\.mjs: Cannot find module '\.\/does-not-exist\.mjs'/]],
  "vitest-unhandled": [1, 2, 0, [/^unhandled rejection: Error: left behind \(in .*rejection\.test\.mjs\)$/, /^uncaught exception: Error: thrown later/]],
  "vitest-bail": [1, 3, 2, [/^failed: .*a\.test\.mjs › fails after a second$/, /^did not finish: .*a\.test\.mjs › passes$/, /^did not finish: .*b\.test\.mjs › after the slow one$/]],
  "vitest-sigint": [0, 1, 0, [/^no report was written: the runner was killed by SIGINT/]],
};

describe("the stored reports", () => {
  it("are all there, each case with what its runner wrote", () => {
    expect(Object.keys(runs).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const run of Object.values(runs)) {
      for (const file of [run.report, run.errors]) if (file) expect(existsSync(path.join(DIR, file)), file).toBe(true);
    }
  });

  for (const [name, [passed, failed, skipped, problems]] of Object.entries(EXPECTED)) {
    it(`${name}: ${passed} passed, ${failed} failed, ${skipped} skipped, one problem line a failure`, () => {
      const counts = count(name);
      expect({ passed: counts.passed, failed: counts.failed, skipped: counts.skipped }).toEqual({ passed, failed, skipped });
      expect(counts.problems).toHaveLength(failed);
      counts.problems.forEach((problem, i) => expect(problem).toMatch(problems[i]));
    });
  }

  it("every one of them exited non-zero, and none counts 0 failed", () => {
    for (const [name, run] of Object.entries(runs)) {
      expect(exitOf(run), name).not.toBe(0);
      expect(formatCounts(count(name)), name).not.toMatch(/ 0 failed/);
    }
  });
});

describe("a non-zero exit", () => {
  const emptyPlaywright = { stats: { expected: 0, unexpected: 0, flaky: 0, skipped: 0 }, errors: [], suites: [] };
  const passingVitest = read(runs["vitest-unhandled"].report);

  it("counts one failure when the report shows none", () => {
    expect(countPlaywright(emptyPlaywright, 1)).toEqual({ passed: 0, failed: 1, skipped: 0, problems: ["the runner exited 1 with no failure in its report"] });
    expect(countVitest(passingVitest, { unhandledErrors: [] }, "SIGTERM")).toEqual({ passed: 1, failed: 1, skipped: 0, problems: ["the runner was killed by SIGTERM with no failure in its report"] });
  });

  it("adds nothing when the report has its failures", () => {
    expect(count("playwright-load-error").failed).toBe(1);
    expect(countVitest(passingVitest, read(runs["vitest-unhandled"].errors), 1).failed).toBe(2);
  });

  it("is the only failure of a clean report that exited 0: none", () => {
    expect(countPlaywright(emptyPlaywright, 0)).toEqual({ passed: 0, failed: 0, skipped: 0, problems: [] });
    expect(countVitest(passingVitest, { unhandledErrors: [] }, 0)).toEqual({ passed: 1, failed: 0, skipped: 0, problems: [] });
  });
});

describe("a missing report", () => {
  it("counts as a failure, even when the runner exited 0", () => {
    for (const exit of [0, 1, "SIGINT"]) {
      expect(countPlaywright(null, exit)).toMatchObject({ passed: 0, failed: 1, skipped: 0 });
      expect(countVitest(null, null, exit)).toMatchObject({ passed: 0, failed: 1, skipped: 0 });
    }
    expect(countPlaywright(null, 0).problems).toEqual(["no report was written: the runner exited 0 (it crashed or was interrupted?)"]);
  });

  it("of vitest's unhandled errors counts as a failure: they would go uncounted", () => {
    const counts = countVitest(read(runs["vitest-unhandled"].report), null, 0);
    expect(counts.failed).toBe(1);
    expect(counts.problems[0]).toMatch(/no record of unhandled errors/);
  });
});

it("formats the summary line", () => {
  expect(formatCounts({ passed: 3, failed: 0, skipped: 1 })).toBe("3 passed, 0 failed, 1 skipped");
});
