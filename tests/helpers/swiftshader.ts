import { existsSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";

/**
 * SwiftShader, the CPU Vulkan driver Debian's Chromium ships: what lets the webgpu (Dawn) code run without a GPU.
 * The tests that need it skip on a developer's machine without Chromium, and fail under CI, which installs
 * Chromium before any suite (scripts/test.mjs): a check that silently skips there checks nothing.
 */
export const CHROMIUM_LIBS = "/usr/lib/chromium";
export const SWIFTSHADER_ICD = path.join(CHROMIUM_LIBS, "vk_swiftshader_icd.json");
export const hasSwiftShader = existsSync(SWIFTSHADER_ICD) && existsSync(path.join(CHROMIUM_LIBS, "libvulkan.so.1"));

/** Whether the tests that need SwiftShader run here: always under CI (and then fail without it). */
export const runsOnSwiftShader = hasSwiftShader || Boolean(process.env.CI);

/** The environment that points Dawn at SwiftShader; first asserts that it is there. */
export function swiftShaderEnv(): NodeJS.ProcessEnv {
  expect(hasSwiftShader, `no SwiftShader at ${SWIFTSHADER_ICD}: install Debian's chromium (apt-get install chromium)`).toBe(true);
  return { ...process.env, LD_LIBRARY_PATH: CHROMIUM_LIBS, VK_ICD_FILENAMES: SWIFTSHADER_ICD };
}
