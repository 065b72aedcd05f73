#!/usr/bin/env node
// Runs every test suite and ends with one line, "N passed, N failed, N skipped", summed over the suites.
// Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const REPORT_DIR = "test-results";
mkdirSync(REPORT_DIR, { recursive: true });

const suites = [
  {
    name: "unit",
    report: `${REPORT_DIR}/vitest.json`,
    command: ["npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${REPORT_DIR}/vitest.json`, ...process.argv.slice(2)],
    count: (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests + (r.numFailedTestSuites ?? 0), skipped: r.numPendingTests + r.numTodoTests }),
  },
];

const total = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
for (const suite of suites) {
  rmSync(suite.report, { force: true });
  const run = spawnSync(suite.command[0], suite.command.slice(1), { stdio: "inherit" });
  if (run.status !== 0) exitCode = 1;
  try {
    const counts = suite.count(JSON.parse(readFileSync(suite.report, "utf8")));
    for (const key of Object.keys(total)) total[key] += counts[key];
  } catch {
    console.error(`${suite.name}: no report was written (the runner crashed?)`);
    total.failed += 1;
    exitCode = 1;
  }
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
