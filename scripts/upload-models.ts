// Uploads the model files that models/manifest.json lists to the Vercel Blob store of BLOB_READ_WRITE_TOKEN, under
// models/<path>, where the server reads them (lib/server/storage). Run: npm run upload-models
// Every file is checked against the manifest's sha256 before anything is uploaded, and read back and checked again
// after; the manifest goes last, so a server never finds a manifest whose files are not there yet.
import { pathToFileURL } from "node:url";
import { type FileEntry, parseManifest } from "../lib/manifest";
import { BlobStorage } from "../lib/server/storage/blob";
import { BLOB_MODELS_PREFIX, parseBlobAccess, type Storage, StorageError } from "../lib/server/storage";
import { contentTypeFromName, LocalStorage } from "../lib/server/storage/local";
import { errorMessage } from "../lib/errors";

/** Uploads of 4 MiB shards from a slow connection need more than a route's deadline. */
const UPLOAD_TIMEOUT_MS = 120_000;

function listedFiles(manifestBytes: Uint8Array): FileEntry[] {
  const manifest = parseManifest(JSON.parse(new TextDecoder().decode(manifestBytes)));
  const entries = Object.values(manifest.models).flatMap((model) => [...model.files, ...Object.values(model.artifacts ?? {})]);
  return [...new Map(entries.map((entry) => [entry.path, entry])).values()];
}

async function readVerified(source: Storage, entry: FileEntry): Promise<Uint8Array> {
  const object = await source.get(entry.path);
  if (!object) throw new StorageError(`${entry.path} is in the manifest but not in ${source.describe()}`);
  if (object.sha256 !== entry.sha256) {
    throw new StorageError(`${entry.path} does not match its sha256 in the manifest: export the models again`);
  }
  return object.bytes;
}

async function putVerified(target: Storage, key: string, bytes: Uint8Array, sha256: string): Promise<void> {
  await target.put(key, bytes, { contentType: contentTypeFromName(key) });
  const readBack = await target.get(key);
  if (readBack?.sha256 !== sha256) throw new StorageError(`${key} read back from ${target.describe()} differs from what was uploaded`);
}

/** Copies the manifest's files, then the manifest, from `source` to `target`; returns the keys written, in order. */
export async function uploadModels(source: Storage, target: Storage, log: (line: string) => void = () => {}): Promise<string[]> {
  const manifest = await source.get("manifest.json");
  if (!manifest) throw new StorageError(`no manifest.json in ${source.describe()}: train or export the models first`);
  const entries = listedFiles(manifest.bytes);
  // All checked before the first upload, so a stale file stops the run with the store untouched.
  const files = await Promise.all(entries.map(async (entry) => ({ entry, bytes: await readVerified(source, entry) })));
  for (const { entry, bytes } of files) {
    await putVerified(target, entry.path, bytes, entry.sha256);
    log(`uploaded ${entry.path} (${bytes.length} bytes)`);
  }
  await putVerified(target, "manifest.json", manifest.bytes, manifest.sha256);
  log(`uploaded manifest.json: ${files.length} files to ${target.describe()}`);
  return [...files.map(({ entry }) => entry.path), "manifest.json"];
}

async function main(): Promise<void> {
  const token = process.env.BLOB_READ_WRITE_TOKEN?.trim();
  if (!token) throw new StorageError("set BLOB_READ_WRITE_TOKEN to the token of the Blob store to upload to");
  const source = new LocalStorage(process.env.MODELS_DIR || "models");
  const access = parseBlobAccess(process.env.BLOB_ACCESS?.trim() || undefined);
  const target = new BlobStorage({ token, access, prefix: BLOB_MODELS_PREFIX, timeoutMs: UPLOAD_TIMEOUT_MS });
  await uploadModels(source, target, console.log);
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  main().catch((error: unknown) => {
    console.error(`upload-models: ${errorMessage(error)}`);
    process.exitCode = 1;
  });
}
