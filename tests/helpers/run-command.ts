import { execFile } from "node:child_process";

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
 * Whether a process that used Dawn (the `webgpu` package) finished its work: exit status 0, or the abort Dawn's
 * threads sometimes raise while Node tears the process down ("terminate called after throwing an instance of
 * 'std::system_error'"), which comes after everything the process printed and wrote. The tests check that output
 * themselves.
 */
export function finishedDespiteDawnTeardown(run: CommandResult): boolean {
  return run.status === 0 || (run.status === null && run.stderr.includes("terminate called after throwing an instance of 'std::system_error'"));
}
