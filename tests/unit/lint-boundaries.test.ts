import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * The lint rule that keeps imports pointing the right way between the runtimes (eslint.config.mjs): each case
 * lints one line as if it stood in a file of that folder, with the project's own configuration.
 */

const eslint = new ESLint();

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports" || m.ruleId === "no-restricted-globals").map((m) => m.message);
}

describe("the runtime boundaries", () => {
  it.each([
    ["browser code importing server code", "lib/browser/new.ts", 'import { jsonError } from "../server/http";', /lib\/server/],
    ["browser code importing server code by alias", "lib/browser/new.ts", 'import { jsonError } from "@/lib/server/http";', /lib\/server/],
    ["browser code importing Node", "lib/browser/new.ts", 'import { readFile } from "node:fs/promises";', /Node API/],
    ["shared code importing browser code", "lib/new.ts", 'import { InferenceClient } from "./browser/inference-client";', /lib\/browser/],
    ["shared code importing server code", "lib/new.ts", 'import { getStorage } from "./server/storage";', /lib\/server/],
    ["shared code importing training", "lib/new.ts", 'import { buildDae } from "../training/models";', /training/],
    ["shared code importing a Node module", "lib/new.ts", 'import path from "path";', /Node API/],
    ["shared code importing a runtime's package", "lib/new.ts", 'import sharp from "sharp";', /belongs to one of them/],
    ["shared code using a browser global", "lib/new.ts", "const here = window.location.href;", /runtime's own globals/],
    ["shared code using Node's process", "lib/new.ts", "const cwd = process.cwd();", /runtime's own globals/],
    ["server code importing browser code", "lib/server/new.ts", 'import { initBackend } from "../browser/backends";', /lib\/browser/],
    ["app code importing training", "app/new/page.tsx", 'import { buildDae } from "@/training/models";', /training/],
    ["training importing browser code", "training/new.ts", 'import { fetchModels } from "../lib/browser/model-fetch";', /lib\/browser/],
  ])("fails the lint: %s", async (_, filePath, code, message) => {
    const errors = await boundaryErrors(filePath, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    ["shared code importing shared code", "lib/new.ts", 'import { MODELS } from "./catalogue";'],
    ["browser code importing shared code", "lib/browser/new.ts", 'import { MODELS } from "../catalogue";'],
    ["server code importing shared code and Node", "lib/server/new.ts", 'import { MODELS } from "../catalogue";\nimport path from "node:path";'],
    ["a route importing server code", "app/api/new/route.ts", 'import { jsonError } from "@/lib/server/http";'],
    ["a page importing browser code", "app/new/App.tsx", 'import { useModels } from "@/lib/browser/use-models";'],
    ["training importing shared code", "training/new.ts", 'import { MODELS } from "../lib/catalogue";'],
  ])("passes: %s", async (_, filePath, code) => {
    expect(await boundaryErrors(filePath, code)).toEqual([]);
  });
});
