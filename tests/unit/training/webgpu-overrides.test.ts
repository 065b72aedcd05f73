import { describe, expect, it } from "vitest";
import { CONV_CASES } from "../../helpers/conv-cases";
import { finishedDespiteDawnTeardown, runCommand } from "../../helpers/run-command";
import { runsOnSwiftShader, swiftShaderEnv } from "../../helpers/swiftshader";

/**
 * The webgpu Conv2DBackpropFilter override against the cpu backend, on SwiftShader (Chromium's CPU Vulkan driver),
 * on the same shapes as the wasm overrides: the check runs in a child process, since the webgpu backend needs Dawn's
 * globals set up before it loads. Without Chromium it skips on a developer's machine and fails under CI.
 */

describe.skipIf(!runsOnSwiftShader)("webgpu training kernels (SwiftShader)", () => {
  it("our Conv2DBackpropFilter runs, equals the cpu backend's on every shape, and leaks nothing", { timeout: 300_000 }, async () => {
    const run = await runCommand(process.execPath, ["--import", "tsx", "tests/helpers/check-webgpu-kernels.ts"], { env: swiftShaderEnv() });
    expect(finishedDespiteDawnTeardown(run), run.stderr).toBe(true);
    const { registeredIsOurs, cases } = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as {
      registeredIsOurs: boolean;
      cases: { name: string; relativeError: number; leaked: number; oursRan: boolean }[];
    };
    expect(registeredIsOurs).toBe(true);
    expect(cases.map((c) => c.name)).toEqual(CONV_CASES.map((c) => c.name));
    for (const c of cases) {
      expect(c.oursRan, c.name).toBe(true);
      expect(c.relativeError, c.name).toBeLessThan(1e-4);
      expect(c.leaked, c.name).toBe(0);
    }
  });
});
