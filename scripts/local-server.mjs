// Starting a server on loopback for benchmarks and tests: a free port, the process, and a wait until
// GET /api/health answers 200 (models loaded, so the first timed request measures inference, not start-up).
// `node scripts/local-server.mjs` prints a free port: Playwright's config needs one synchronously.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

/** A port nothing listens on now (the OS picks it; another process could take it before we do, rarely). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `command ...args -H 127.0.0.1 -p <free port>` (a Next server, or scripts/serve.mjs) and resolves once
 * /api/health answers 200.
 * Rejects, killing the process, when it exits first or is not ready within `timeoutMs`. `stderr: "pipe"` leaves the
 * process's stderr for the caller to read (`child.stderr`) instead of passing it through.
 */
export async function startServer(command, args, { env = {}, timeoutMs = 120_000, stderr = "inherit" } = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(command, [...args, "-H", "127.0.0.1", "-p", String(port)], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", ...env },
    stdio: ["ignore", "ignore", stderr],
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${command} exited (${child.exitCode ?? child.signalCode}) before it was ready; did you run npm run build?`);
    }
    if ((await fetch(`${base}/api/health`).catch(() => null))?.ok) return { base, child };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  child.kill("SIGTERM");
  throw new Error(`${command} was not ready within ${timeoutMs / 1000} s`);
}

if (process.argv[1] === import.meta.filename) console.log(await freePort());
