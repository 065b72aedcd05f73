#!/usr/bin/env node
// Runs every test suite and ends with one line, "N passed, N failed, N skipped", summed over the suites:
// vitest (tests/unit), then Playwright (tests/e2e) against the production build in Debian's Chromium.
// Extra arguments go to vitest (e.g. a file filter); with arguments, the e2e suite is left out.
// E2E=0 skips the e2e suite; E2E=only runs it alone.
// Each suite's line is followed by what failed in it (scripts/test-summary.mjs counts the reports), and a suite that
// exits non-zero never counts 0 failed. The exit status is 1 when anything failed.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { countPlaywright, countVitest, formatCounts } from "./test-summary.mjs";

const REPORT_DIR = "test-results";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Chromium's CPU Vulkan driver: the unit suite's checks of the webgpu kernels run on it (without it they skip, or
// fail under CI).
const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";
/** How many of a suite's problems are printed under its line; the runner's own output above has them all. */
const MAX_PROBLEMS = 20;
mkdirSync(REPORT_DIR, { recursive: true });
process.env.NEXT_TELEMETRY_DISABLED = "1";

/** The parsed JSON file, or null when it is missing or unreadable (the runner crashed before writing it). */
function readReport(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return null;
  }
}

const unit = {
  name: "unit",
  needs: SWIFTSHADER,
  // vitest's JSON report leaves out unhandled errors: a reporter of ours records them beside it.
  reports: [`${REPORT_DIR}/vitest.json`, `${REPORT_DIR}/vitest-errors.json`],
  command: ["npx", "vitest", "run", "--reporter=default", "--reporter=json", `--outputFile=${REPORT_DIR}/vitest.json`, "--reporter=./scripts/vitest-errors-reporter.mjs", ...process.argv.slice(2)],
  env: { VITEST_ERRORS_FILE: `${REPORT_DIR}/vitest-errors.json` },
  count(exit) {
    return countVitest(readReport(this.reports[0]), readReport(this.reports[1]), exit);
  },
};

const e2e = {
  name: "e2e",
  needs: CHROMIUM,
  reports: [`${REPORT_DIR}/playwright.json`],
  command: ["npx", "playwright", "test"],
  count(exit) {
    return countPlaywright(readReport(this.reports[0]), exit);
  },
  /** Why the suite cannot run, if it cannot. */
  before() {
    if (!existsSync(CHROMIUM)) return `no browser at ${CHROMIUM}; install Debian's Chromium (apt-get install -y chromium) or set CHROMIUM_PATH`;
    // Always build: the e2e tests must see the code as it is now, not an older build. SKIP_BUILD=1 reuses one.
    if (process.env.SKIP_BUILD !== "1" || !existsSync(".next/BUILD_ID")) {
      if (spawnSync("npm", ["run", "build"], { stdio: "inherit" }).status !== 0) return "npm run build failed";
    }
    return null;
  },
};

/** Debian's Chromium, installed with apt when this runs as root on a Debian-like system (a fresh CI machine). */
function installChromium() {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return;
  console.log("installing Debian's Chromium (apt-get install -y chromium): the e2e suite runs in it, the unit suite's webgpu checks on its SwiftShader");
  const apt = (args) => spawnSync("apt-get", args, { stdio: "inherit" }).status === 0;
  if (!apt(["update"]) || !apt(["install", "-y", "chromium"])) console.error("apt-get could not install chromium");
}

const mode = process.env.E2E ?? (process.argv.length > 2 ? "0" : "1");
const suites = mode === "only" ? [e2e] : mode === "0" ? [unit] : [unit, e2e];

// Before any suite: installed only before the e2e suite, Chromium came too late for the unit suite's webgpu checks.
// (A browser elsewhere, named by CHROMIUM_PATH, is not apt's to install.)
const fromApt = suites.map((suite) => suite.needs).filter((file) => file === SWIFTSHADER || file === "/usr/bin/chromium");
if (fromApt.some((file) => !existsSync(file))) installChromium();

const total = { passed: 0, failed: 0, skipped: 0 };
for (const suite of suites) {
  for (const file of suite.reports) rmSync(file, { force: true });
  const cannotRun = suite.before?.();
  let counts;
  if (cannotRun) {
    counts = { passed: 0, failed: 1, skipped: 0, problems: [cannotRun] };
  } else {
    const run = spawnSync(suite.command[0], suite.command.slice(1), { stdio: "inherit", env: { ...process.env, ...suite.env } });
    if (run.error) console.error(`${suite.name}: ${run.error.message}`);
    counts = suite.count(run.status ?? run.signal ?? 1);
  }
  for (const key of Object.keys(total)) total[key] += counts[key];
  console.log(`${suite.name}: ${formatCounts(counts)}`);
  for (const problem of counts.problems.slice(0, MAX_PROBLEMS)) console.log(`${suite.name}: ${problem}`);
  if (counts.problems.length > MAX_PROBLEMS) console.log(`${suite.name}: and ${counts.problems.length - MAX_PROBLEMS} more`);
}
console.log(formatCounts(total));
process.exit(total.failed > 0 ? 1 : 0);
