#!/usr/bin/env node
// Runs every test suite and ends with one line, "N passed, N failed, N skipped", summed over the suites:
// vitest (tests/unit), then Playwright (tests/e2e) against the production build in Debian's Chromium.
// Extra arguments go to vitest (e.g. a file filter); with arguments, the e2e suite is left out.
// E2E=0 skips the e2e suite; E2E=only runs it alone.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const REPORT_DIR = "test-results";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
mkdirSync(REPORT_DIR, { recursive: true });
process.env.NEXT_TELEMETRY_DISABLED = "1";

const unit = {
  name: "unit",
  report: `${REPORT_DIR}/vitest.json`,
  command: ["npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${REPORT_DIR}/vitest.json`, ...process.argv.slice(2)],
  // A file that failed without a failing test (it did not load, or a hook threw) counts as one failure more.
  count: (r) => ({
    passed: r.numPassedTests,
    failed: r.numFailedTests + r.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length,
    skipped: r.numPendingTests + r.numTodoTests,
  }),
};

const e2e = {
  name: "e2e",
  report: `${REPORT_DIR}/playwright.json`,
  command: ["npx", "playwright", "test"],
  // Flaky tests passed only on a retry: they count as failed.
  count: (r) => ({ passed: r.stats.expected, failed: r.stats.unexpected + r.stats.flaky, skipped: r.stats.skipped }),
  before() {
    if (!existsSync(CHROMIUM) && !installChromium()) {
      console.error(`e2e: no browser at ${CHROMIUM}; install Debian's Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
      return false;
    }
    // Always build: the e2e tests must see the code as it is now, not an older build. SKIP_BUILD=1 reuses one.
    if (process.env.SKIP_BUILD !== "1" || !existsSync(".next/BUILD_ID")) {
      if (spawnSync("npm", ["run", "build"], { stdio: "inherit" }).status !== 0) return false;
    }
    return true;
  },
};

/** Debian's Chromium, installed with apt when this runs as root on a Debian-like system (a fresh CI machine). */
function installChromium() {
  if (CHROMIUM !== "/usr/bin/chromium" || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return false;
  console.log("e2e: installing Debian's Chromium (apt-get install -y chromium)");
  const apt = (args) => spawnSync("apt-get", args, { stdio: "inherit" }).status === 0;
  return apt(["update"]) && apt(["install", "-y", "chromium"]) && existsSync(CHROMIUM);
}

const mode = process.env.E2E ?? (process.argv.length > 2 ? "0" : "1");
const suites = mode === "only" ? [e2e] : mode === "0" ? [unit] : [unit, e2e];

const total = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;
for (const suite of suites) {
  rmSync(suite.report, { force: true });
  if (suite.before && !suite.before()) {
    total.failed += 1;
    exitCode = 1;
    continue;
  }
  const run = spawnSync(suite.command[0], suite.command.slice(1), { stdio: "inherit" });
  if (run.status !== 0) exitCode = 1;
  try {
    const counts = suite.count(JSON.parse(readFileSync(suite.report, "utf8")));
    for (const key of Object.keys(total)) total[key] += counts[key];
    console.log(`${suite.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  } catch {
    console.error(`${suite.name}: no report was written (the runner crashed?)`);
    total.failed += 1;
    exitCode = 1;
  }
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(exitCode);
