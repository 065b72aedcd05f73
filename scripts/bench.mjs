#!/usr/bin/env node
// `npm run bench`: every benchmark, one after another, each printing its tables (README, "Performance").
//   1. training throughput and the FLOPs floor      (training/bench-training.ts)
//   2. browser inference per backend                 (scripts/bench-browser.mjs, against a server started here)
//   3. server load, leak and fault figures           (scripts/bench-server.mjs, starts its own server)
// Needs a production build (`npm run build`) and Debian's Chromium; none of this is a test: it prints numbers.
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const run = (command, args, env = {}) => {
  console.log(`\n## ${[command, ...args].join(" ")}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env } });
  if (result.status !== 0) process.exitCode = 1;
};

async function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

run("npx", ["tsx", "training/bench-training.ts"]);

// One server process for the browser figures: the browser itself needs the other core.
const port = await freePort();
const server = spawn(process.execPath, ["scripts/serve.mjs", "-H", "127.0.0.1", "-p", String(port)], {
  cwd: root,
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", WEB_CONCURRENCY: "1" },
  stdio: ["ignore", "ignore", "inherit"],
});
try {
  for (let i = 0; i < 120 && !(await fetch(`http://127.0.0.1:${port}/api/health`).catch(() => null))?.ok; i++) await new Promise((r) => setTimeout(r, 500));
  run(process.execPath, ["scripts/bench-browser.mjs", `http://127.0.0.1:${port}`]);
} finally {
  server.kill("SIGTERM");
}

run(process.execPath, ["scripts/bench-server.mjs"]);
