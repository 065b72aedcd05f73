import "server-only";
import path from "node:path";
import { type BlobAccess, BlobStorage } from "./blob";
import { LocalStorage } from "./local";
import { readOnly, type Storage, StorageError } from "./types";

export * from "./types";

/**
 * The process's storages, chosen by the environment:
 *
 * - `BLOB_READ_WRITE_TOKEN` set: one Vercel Blob store holds both; the models under `models/` (uploaded there by
 *   `npm run upload-models`), everything else, such as `shares/<id>/share.json`, at its key.
 * - otherwise the local disk: the models straight from the repository's `models/` folder (`MODELS_DIR`, as the
 *   server's model loader reads it), everything else under `DATA_DIR` (default `./data`).
 *
 * Model keys are the paths models/manifest.json lists (`dae/model.json`), whichever the backend. The models are
 * read-only from the server's side: training and the upload script write them, never a route.
 */
export interface Storages {
  data: Storage;
  models: Storage;
}

/** Reads BLOB_READ_WRITE_TOKEN, BLOB_ACCESS, DATA_DIR and MODELS_DIR (see README, "Storage and deployment"). */
export type StorageEnv = Readonly<Record<string, string | undefined>>;

/** Where the models live in a Blob store, the same for the server and `npm run upload-models`. */
export const BLOB_MODELS_PREFIX = "models/";

export function parseBlobAccess(value = "public"): BlobAccess {
  if (value === "public" || value === "private") return value;
  throw new StorageError(`BLOB_ACCESS must be "public" or "private", not ${JSON.stringify(value)}`);
}

export function storagesFromEnv(env: StorageEnv = process.env): Storages {
  const token = env.BLOB_READ_WRITE_TOKEN?.trim();
  if (token) {
    const access = parseBlobAccess(env.BLOB_ACCESS?.trim() || undefined);
    return {
      data: new BlobStorage({ token, access }),
      models: readOnly(new BlobStorage({ token, access, prefix: BLOB_MODELS_PREFIX })),
    };
  }
  return {
    data: new LocalStorage(env.DATA_DIR || path.join(/*turbopackIgnore: true*/ process.cwd(), "data")),
    models: readOnly(new LocalStorage(env.MODELS_DIR || path.join(/*turbopackIgnore: true*/ process.cwd(), "models"))),
  };
}

// The storages hold no connections or caches, so one of each per process is plenty; they are made on first use
// so that a build, which imports the routes, never needs the environment.
let storages: Storages | undefined;

function current(): Storages {
  return (storages ??= storagesFromEnv());
}

/** Read-write storage for what the site itself keeps: shared images under `shares/`. */
export function getStorage(): Storage {
  return current().data;
}

/** Read-only storage of the model files, keyed by their manifest paths. */
export function getModelStorage(): Storage {
  return current().models;
}
