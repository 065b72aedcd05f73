import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { MANIFEST_MAX_AGE_MS, readManifestFile } from "@/lib/server/models";
import { MODELS } from "@/lib/catalogue";

/** The server reads the model manifest at most every MANIFEST_MAX_AGE_MS, and sees a replaced one after that.
 * (A file of its own: each process keeps its storage once chosen.) */

const [dae, pca] = [MODELS.dae.key, MODELS.pca2d.key];
let dir: string;
const shipped = JSON.parse(readFileSync("models/manifest.json", "utf8"));

function writeManifest(models: Record<string, unknown>) {
  writeFileSync(path.join(dir, "manifest.json"), JSON.stringify({ ...shipped, models }));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "manifest-cache-"));
  process.env.MODELS_DIR = dir;
});

afterAll(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

it("keeps a read manifest for its max age, then reads the replaced one; `fresh` reads at once", async () => {
  let now = 1_000_000;
  vi.spyOn(Date, "now").mockImplementation(() => now);
  writeManifest({ [dae]: shipped.models[dae] });
  expect(Object.keys((await readManifestFile()).models)).toEqual([dae]);

  writeManifest({ [pca]: shipped.models[pca] });
  now += MANIFEST_MAX_AGE_MS;
  expect(Object.keys((await readManifestFile()).models)).toEqual([dae]);
  expect(Object.keys((await readManifestFile({ fresh: true })).models)).toEqual([pca]);

  writeManifest({ [dae]: shipped.models[dae] });
  now += MANIFEST_MAX_AGE_MS + 1;
  expect(Object.keys((await readManifestFile()).models)).toEqual([dae]);
});

it("does not keep a failed read", async () => {
  rmSync(path.join(dir, "manifest.json"));
  await expect(readManifestFile({ fresh: true })).rejects.toThrow(/no manifest\.json/);
  writeManifest({ [dae]: shipped.models[dae] });
  expect(Object.keys((await readManifestFile()).models)).toEqual([dae]);
});
