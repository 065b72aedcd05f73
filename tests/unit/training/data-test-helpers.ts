/** Shared paths and assertions for the data loader tests (tests/unit/data-*.test.ts). */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { DataError } from "@/training/data/errors";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const fixture = (...parts: string[]) => path.join(repoRoot, "tests", "fixtures", ...parts);

/** The shared CelebA files live beside the repository, not in it; tests that need them skip when absent. */
export const sharedFacesDir = path.resolve(repoRoot, "../shared/data/faces");
export const hasSharedFaces = existsSync(path.join(sharedFacesDir, "faces-64-test.u8"));
if (!hasSharedFaces) console.info(`skipping shared-data tests: ${sharedFacesDir} not found`);

export const FACE_BYTES = 64 * 64 * 3;

/** The 16 fixture faces, NHWC RGB, as the ground truth every face loader must reproduce. */
export function fixtureFace(faces: Uint8Array, index: number): Uint8Array {
  return faces.subarray(index * FACE_BYTES, (index + 1) * FACE_BYTES);
}

/** Byte equality without vitest's element-by-element diff, which is slow on megabytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs(a[i] - b[i]);
  return total / a.length;
}

/**
 * Runs `action` and checks it fails with a DataError whose one-line message starts with `file` and
 * matches `pattern`. Returns the error for further checks.
 */
export async function expectDataError(action: () => unknown, file: string, pattern: RegExp): Promise<DataError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DataError);
  const error = caught as DataError;
  expect(error.file).toBe(file);
  expect(error.message.startsWith(`${file}: `)).toBe(true);
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).toMatch(pattern);
  return error;
}

/** A fresh temporary folder; call the returned function (in afterAll) to delete it. */
export function makeTempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "data-test-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
