import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { ModelEntry } from "../lib/manifest";
import { encodeReference, modelFiles, REFERENCE_ARTIFACT } from "../lib/reference";
import type { TensorData } from "../lib/run-model";
import { sha256Hex } from "../lib/sha256";
import { updateManifest } from "./export";

/**
 * Writes a model's reference answer (lib/reference.ts) beside its files, as `<folder>/reference.json`, and lists it
 * in the manifest as the model's `reference` artifact. `output` is what the model answered for `input` (on tfjs'
 * CPU backend: scripts/make-derived.ts); the reference is keyed by the entry's files, so it applies to this version
 * of the model only.
 */
export async function exportReference(
  modelsDir: string,
  name: string,
  entry: ModelEntry,
  reference: { backend: string; input: { shape: number[]; bytes: Uint8Array }; output: TensorData },
): Promise<string> {
  const file = `${path.posix.dirname(entry.entry)}/reference.json`;
  const text = `${JSON.stringify(encodeReference({ model: name, files: modelFiles(entry), ...reference }))}\n`;
  const bytes = new TextEncoder().encode(text);
  await writeFile(path.join(modelsDir, file), bytes);
  const artifact = { path: file, sha256: await sha256Hex(bytes), bytes: bytes.length };
  await updateManifest(modelsDir, { [name]: { ...entry, artifacts: { ...entry.artifacts, [REFERENCE_ARTIFACT]: artifact } } });
  return file;
}
