// A vitest reporter that records the run's unhandled errors (a rejected promise or an exception left behind by a
// test), which vitest's JSON report leaves out: they fail the run ("2 errors", exit 1) but appear in no test's result.
// Writes {"unhandledErrors": [{type, name, message, file, test}]} to $VITEST_ERRORS_FILE (relative to vitest's root,
// as --outputFile is; test-results/vitest-errors.json by default); scripts/test-summary.mjs counts each as a failure.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

export default class UnhandledErrorsReporter {
  root = ".";

  /** @param {{ config: { root: string } }} vitest */
  onInit(vitest) {
    this.root = vitest.config.root; // where --outputFile is resolved too
  }

  /**
   * Called once at the end of every run, with the errors that no test owns.
   * @param {unknown} _testModules
   * @param {ReadonlyArray<{ message: string, name?: string, type?: unknown, VITEST_TEST_PATH?: unknown, VITEST_TEST_NAME?: unknown }>} errors
   */
  onTestRunEnd(_testModules, errors) {
    const file = path.resolve(this.root, process.env.VITEST_ERRORS_FILE ?? "test-results/vitest-errors.json");
    const unhandledErrors = errors.map((e) => ({ type: e.type, name: e.name, message: e.message, file: e.VITEST_TEST_PATH, test: e.VITEST_TEST_NAME }));
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ unhandledErrors }, null, 2));
  }
}
