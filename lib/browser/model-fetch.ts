import { type FileEntry, type Manifest, parseManifest } from "../manifest";
import { type LoadedArtifacts, ModelIntegrityError, modelArtifacts } from "../model-artifacts";
import { sha256Hex } from "../sha256";

/**
 * Fetching models in the browser (or a worker) from the app's `/api/models` route or a Blob store with the same
 * layout: the manifest first (revalidated every time), then each file at a URL keyed by its sha256 (cached
 * forever), checked against that sha256 before tfjs sees it. A model replaced while we download (training
 * exports files, then the manifest) shows up as a mismatch, and the download starts again from a fresh manifest.
 */

export function manifestUrl(base: string): string {
  return `${base.replace(/\/$/, "")}/manifest.json`;
}

export function fileUrl(base: string, file: FileEntry): string {
  return `${base.replace(/\/$/, "")}/${file.path}?v=${file.sha256}`;
}

export async function fetchManifest(base: string): Promise<Manifest> {
  const response = await fetch(manifestUrl(base), { cache: "no-cache" });
  if (!response.ok) throw new Error(`could not fetch the model manifest (HTTP ${response.status})`);
  return parseManifest(await response.json());
}

/** Fetches one file the manifest lists (a model file or an artifact such as precomputed codes), checked against its sha256. */
export async function fetchVerified(base: string, file: FileEntry): Promise<ArrayBuffer> {
  const response = await fetch(fileUrl(base, file));
  if (!response.ok) throw new ModelIntegrityError(`${file.path}: HTTP ${response.status}`);
  const data = await response.arrayBuffer();
  const digest = await sha256Hex(data);
  if (data.byteLength !== file.bytes || digest !== file.sha256) {
    throw new ModelIntegrityError(`${file.path}: expected sha256 ${file.sha256.slice(0, 12)}…, got ${digest.slice(0, 12)}…`);
  }
  return data;
}

/** Fetches the manifest and the named models; starts over (twice at most) with a fresh manifest if a file changed meanwhile. */
export async function fetchModels(base: string, names: string[]): Promise<{ manifest: Manifest; models: LoadedArtifacts[] }> {
  for (let attempt = 0; ; attempt++) {
    const manifest = await fetchManifest(base);
    try {
      return { manifest, models: await Promise.all(names.map((n) => modelArtifacts(manifest, n, (file) => fetchVerified(base, file)))) };
    } catch (error) {
      if (!(error instanceof ModelIntegrityError) || attempt >= 2) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * (attempt + 1)));
    }
  }
}
