#!/usr/bin/env node
// `npm run bench`: every benchmark, one after another, each printing its tables (README, "Performance").
//   1. training throughput and the FLOPs floor      (training/bench-training.ts)
//   2. browser inference per backend, and the       (scripts/bench-browser.mjs, against a server started here)
//      latent page's hover -> decoded digit latency
//   3. server load, leak and fault figures           (scripts/bench-server.mjs, starts its own server)
// Needs a production build (`npm run build`) and Debian's Chromium; none of this is a test: it prints numbers.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { startServer } from "./local-server.mjs";

const root = path.resolve(import.meta.dirname, "..");
const run = (command, args, env = {}) => {
  console.log(`\n## ${[command, ...args].join(" ")}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env } });
  if (result.status !== 0) process.exitCode = 1;
};

run("npx", ["tsx", "training/bench-training.ts"]);

// One server process for the browser figures: the browser itself needs the other core.
const server = await startServer(process.execPath, ["scripts/serve.mjs"], { env: { WEB_CONCURRENCY: "1" } });
try {
  run(process.execPath, ["scripts/bench-browser.mjs", server.base]);
} finally {
  server.child.kill("SIGTERM");
}

run(process.execPath, ["scripts/bench-server.mjs"]);
