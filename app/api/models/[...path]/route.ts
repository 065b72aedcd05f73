import { errorMessage } from "@/lib/errors";
import { jsonError } from "@/lib/server/http";
import { MANIFEST_KEY, readManifestFile } from "@/lib/server/models";
import { getModelStorage, StorageError, StorageKeyError, validateKey } from "@/lib/server/storage";
export * from "@/lib/server/other-methods";

/**
 * GET /api/models/<path>: the model files the manifest lists, and the manifest itself, from the model storage
 * (the repository's models/ folder, or the configured Blob store: lib/server/storage).
 *
 * Caching is keyed by content: `?v=<sha256>` URLs (the ones the page builds from the manifest) are immutable and
 * cached for a year, and answer 404 once the file has changed; URLs without `v` revalidate every time (ETag).
 * Paths that could leave the models (`..`, absolute, backslashes, dot-files, encoded slashes) answer 400; files
 * the manifest does not list answer 404.
 */

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** The storage key for the path segments, or null for anything that could leave the models. */
function safeKey(segments: string[]): string | null {
  let decoded: string[];
  try {
    // Next hands the segments over decoded; decoding again catches double-encoded dots and slashes too.
    decoded = segments.map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
  if (decoded.length === 0) return null;
  for (const s of decoded) {
    if (!s || s === "." || s === ".." || /[\\/\0:]/.test(s) || s.startsWith(".")) return null;
  }
  try {
    return validateKey(decoded.join("/"));
  } catch (e) {
    if (e instanceof StorageKeyError) return null;
    throw e;
  }
}

export async function GET(request: Request, context: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const key = safeKey((await context.params).path);
  if (!key) return jsonError(400, "invalid path");
  try {
    if (key !== MANIFEST_KEY) {
      const manifest = await readManifestFile();
      const listed = Object.values(manifest.models).some((m) => [...m.files, ...Object.values(m.artifacts ?? {})].some((f) => f.path === key));
      if (!listed) return jsonError(404, `${key} is not a model file`);
    }
    const object = await getModelStorage().get(key);
    if (!object) return jsonError(404, `${key} was not found`);
    const version = new URL(request.url).searchParams.get("v");
    const etag = `"${object.sha256}"`;
    const headers: Record<string, string> = {
      "Content-Type": object.contentType,
      ETag: etag,
      "X-Content-Sha256": object.sha256,
      "X-Content-Type-Options": "nosniff",
    };
    if (version !== null) {
      if (version !== object.sha256) return jsonError(404, `${key} has changed: fetch the manifest again`);
      headers["Cache-Control"] = "public, max-age=31536000, immutable";
    } else {
      headers["Cache-Control"] = "no-cache";
    }
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(new Uint8Array(object.bytes), { headers });
  } catch (e) {
    if (e instanceof StorageError) return jsonError(503, `the model storage is unavailable: ${e.message}`);
    return jsonError(503, `the model manifest is missing or invalid: ${errorMessage(e)}`);
  }
}
