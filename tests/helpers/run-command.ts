import { execFile, spawn } from "node:child_process";

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion without blocking the test worker (a blocked worker misses vitest's heartbeats),
 * and resolves with its exit status and output whether it succeeded or not.
 */
export function runCommand(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: options.env, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === "number" ? error.code : null) : 0;
      resolve({ status, stdout, stderr });
    });
  });
}

/**
 * Starts a command and lets the test act while it runs: `waitForOutput` resolves once stdout or stderr has
 * matched, `signal` sends it a signal, `done` resolves when it exits, as runCommand would.
 */
export function startCommand(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}) {
  const child = spawn(command, args, { env: options.env });
  let stdout = "";
  let stderr = "";
  let waiting: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    const matched = waiting.filter((w) => w.pattern.test(stdout + stderr));
    waiting = waiting.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve();
  };
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
    check();
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
    check();
  });
  const done = new Promise<CommandResult>((resolve) => child.on("close", (code) => resolve({ status: code, stdout, stderr })));
  return {
    waitForOutput: (pattern: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => {
          waiting.push({ pattern, resolve });
          check();
        }),
        done.then((result) => Promise.reject(new Error(`exited ${result.status} before printing ${pattern}:\n${result.stdout}${result.stderr}`))),
      ]),
    signal: (name: NodeJS.Signals) => child.kill(name),
    done,
  };
}

/**
 * Whether a process that used Dawn (the `webgpu` package) finished its work: exit status 0, or the abort Dawn's
 * threads sometimes raise while Node tears the process down ("terminate called after throwing an instance of
 * 'std::system_error'"), which comes after everything the process printed and wrote. The tests check that output
 * themselves.
 */
export function finishedDespiteDawnTeardown(run: CommandResult): boolean {
  return run.status === 0 || (run.status === null && run.stderr.includes("terminate called after throwing an instance of 'std::system_error'"));
}
