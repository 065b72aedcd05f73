// Counts one suite's report for scripts/test.mjs's summary line, "N passed, N failed, N skipped". Every failure
// counted comes with a line in `problems` saying what failed, so a red run is explained at the end of a long log and
// its failures cannot vanish from the total: a run that exited non-zero never counts 0 failed.
// tests/fixtures/reports/ holds real reports of each case, and README.md there says how they were made.
import path from "node:path";
import { stripVTControlCharacters } from "node:util";

/** @typedef {{ passed: number, failed: number, skipped: number, problems: string[] }} Counts */

/**
 * Playwright's JSON report. Its stats count a test that a run cut off (Ctrl-C, globalTimeout, maxFailures) or never
 * got to (also one after a failure in a serial group) as skipped; here only a test meant to be skipped (expectedStatus
 * "skipped": test.skip, test.fixme, test.skip() in the test or a hook) is, and the others fail. Errors
 * outside any test (a spec file that does not load, a web server or global setup that fails) leave no test behind, so
 * each counts as a failure of its own.
 * @param {any} report the parsed report, or null when none was written
 * @param {number | string} exit the runner's exit status, or the name of the signal that killed it
 * @returns {Counts}
 */
export function countPlaywright(report, exit) {
  if (!report) return settle(null, exit);
  const counts = tally();
  for (const error of report.errors) counts.fail(`error: ${location(error.location)}${firstLine(error.message)}`);
  for (const { titles, test } of playwrightTests(report.suites)) {
    const name = `${titles.join(" › ")}${test.projectName ? ` [${test.projectName}]` : ""}`;
    if (test.status === "expected") counts.passed++;
    else if (test.status === "unexpected") counts.fail(`failed: ${name}`);
    else if (test.status === "flaky") counts.fail(`flaky (passed only on a retry): ${name}`);
    else if (test.expectedStatus === "skipped") counts.skipped++;
    else counts.fail(`${test.results.some((r) => r.status === "interrupted") ? "interrupted" : "did not finish"}: ${name}`);
  }
  return settle(counts, exit);
}

/**
 * Every test of a Playwright report with its titles (file, describe blocks, test): suites nest, files then describe
 * blocks, and each spec holds one test a project.
 */
function* playwrightTests(suites, parents = []) {
  for (const suite of suites) {
    const titles = [...parents, suite.title];
    for (const spec of suite.specs) for (const test of spec.tests) yield { titles: [...titles, spec.title], test };
    yield* playwrightTests(suite.suites ?? [], titles);
  }
}

/**
 * Vitest's JSON report, with the record of scripts/vitest-errors-reporter.mjs: the JSON report leaves out unhandled
 * errors (a rejected promise or an exception left behind by a test), which fail the run but belong to no test. A test
 * still "pending" at the end never finished (--bail stopped the run); a file that failed without a failing test (it
 * did not load, or a hook threw) counts as one failure.
 * @param {any} report the parsed JSON report, or null when none was written
 * @param {{ unhandledErrors: { type?: string, name?: string, message: string, file?: string }[] } | null} errors
 *   the unhandled errors' record, or null when none was written
 * @param {number | string} exit the runner's exit status, or the name of the signal that killed it
 * @returns {Counts}
 */
export function countVitest(report, errors, exit) {
  if (!report) return settle(null, exit);
  const counts = tally();
  for (const file of report.testResults) {
    const name = relative(file.name);
    for (const test of file.assertionResults) {
      if (test.status === "passed") counts.passed++;
      else if (test.status === "failed") counts.fail(`failed: ${name} › ${test.fullName}`);
      else if (test.status === "skipped" || test.status === "todo") counts.skipped++;
      else counts.fail(`did not finish: ${name} › ${test.fullName}`);
    }
    if (file.status === "failed" && !file.assertionResults.some((test) => test.status === "failed")) {
      counts.fail(`error: ${name}: ${firstLine(file.message) || "failed without a failing test"}`);
    }
  }
  if (!errors) counts.fail("no record of unhandled errors was written (scripts/vitest-errors-reporter.mjs)");
  for (const e of errors?.unhandledErrors ?? []) {
    counts.fail(`${(e.type ?? "unhandled error").toLowerCase()}: ${e.name ? `${e.name}: ` : ""}${firstLine(e.message)}${e.file ? ` (in ${relative(e.file)})` : ""}`);
  }
  return settle(counts, exit);
}

/** "N passed, N failed, N skipped" */
export function formatCounts({ passed, failed, skipped }) {
  return `${passed} passed, ${failed} failed, ${skipped} skipped`;
}

function tally() {
  const counts = { passed: 0, failed: 0, skipped: 0, problems: /** @type {string[]} */ ([]) };
  return Object.assign(counts, {
    /** @param {string} problem */
    fail(problem) {
      counts.failed++;
      counts.problems.push(problem);
    },
  });
}

/**
 * The counts as returned: a missing report is a failure, and so is a non-zero exit that the report shows no reason for
 * (the runner crashed after writing it, or failed in a way its report does not record).
 * @param {ReturnType<typeof tally> | null} counts
 * @param {number | string} exit
 * @returns {Counts}
 */
function settle(counts, exit) {
  const c = counts ?? tally();
  const ended = `the runner ${typeof exit === "string" ? `was killed by ${exit}` : `exited ${exit}`}`;
  if (!counts) c.fail(`no report was written: ${ended} (it crashed or was interrupted?)`);
  if (exit !== 0 && c.failed === 0) c.fail(`${ended} with no failure in its report`);
  return { passed: c.passed, failed: c.failed, skipped: c.skipped, problems: c.problems };
}

/** @param {string | undefined} message */
function firstLine(message) {
  return stripVTControlCharacters(message ?? "").trim().split("\n")[0];
}

/** @param {{ file: string, line?: number } | undefined} at */
function location(at) {
  return at ? `${relative(at.file)}${at.line ? `:${at.line}` : ""}: ` : "";
}

/** A path relative to the working directory (the repository root) when it lies inside it. */
function relative(file) {
  const rel = path.relative(process.cwd(), file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}
