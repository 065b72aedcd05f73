import { fetchManifest, fetchVerified } from "@/lib/browser/model-fetch";
import { EMBEDDINGS, type EmbeddingId } from "@/lib/catalogue";

/** The precomputed 2-D codes of the 10,000 MNIST test digits, per embedding, and their labels. */
export interface Embedding {
  id: EmbeddingId;
  codes: Float32Array;
  labels: Uint8Array;
}

/** Downloads the codes the manifest lists as artifacts (each checked against its sha256); missing ones are left out. */
export async function fetchEmbeddings(modelsBase: string): Promise<Embedding[]> {
  const manifest = await fetchManifest(modelsBase);
  const labelCache = new Map<string, Promise<ArrayBuffer>>();
  const found = await Promise.all(
    EMBEDDINGS.map(async ({ id, model }): Promise<Embedding | null> => {
      const artifacts = manifest.models[model.key]?.artifacts;
      if (!artifacts?.codes || !artifacts.labels) return null;
      const labelsFile = artifacts.labels;
      if (!labelCache.has(labelsFile.sha256)) labelCache.set(labelsFile.sha256, fetchVerified(modelsBase, labelsFile));
      const [codes, labels] = await Promise.all([fetchVerified(modelsBase, artifacts.codes), labelCache.get(labelsFile.sha256)!]);
      return { id, codes: new Float32Array(codes), labels: new Uint8Array(labels) };
    }),
  );
  return found.filter((e): e is Embedding => e !== null);
}
