import type { ChildProcess } from "node:child_process";

export function freePort(): Promise<number>;
export function startServer(
  command: string,
  args: string[],
  options?: { env?: Record<string, string>; timeoutMs?: number; stderr?: "inherit" | "pipe" },
): Promise<{ base: string; child: ChildProcess }>;
