/**
 * Where the server keeps files: the model files it serves (`GET /api/models/...`) and the images visitors chose to
 * share. Two implementations: the local filesystem (`./local.ts`, the default) and Vercel Blob (`./blob.ts`);
 * `getStorage()` in `./index.ts` picks one.
 *
 * Objects are read whole, never streamed: every one is small (model shards are at most 4 MiB, shares are capped
 * by the route that writes them), and each read hashes the bytes anyway for its ETag and integrity check.
 */

/** What `list` tells about an object, without reading it. */
export interface StoredEntry {
  key: string;
  size: number;
  uploadedAt: Date;
}

export interface StoredObject extends StoredEntry {
  bytes: Uint8Array;
  contentType: string;
  /** Hex SHA-256 of `bytes`: a strong ETag (`"<sha256>"`), and what models/manifest.json lists per file. */
  sha256: string;
}

export interface PutOptions {
  contentType: string;
}

export interface PutResult {
  key: string;
  size: number;
  sha256: string;
}

export interface Storage {
  /** The object under `key`, or null when there is none. */
  get(key: string): Promise<StoredObject | null>;
  /** Creates or replaces the object under `key`. Readers see the old bytes or the new ones, never a mix. */
  put(key: string, bytes: Uint8Array, options: PutOptions): Promise<PutResult>;
  /** Removes the object under `key`; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with `prefix` (a plain string prefix, as in S3), sorted by key. */
  list(prefix?: string): Promise<StoredEntry[]>;
  /** Where the objects live, for logs and error messages; never contains a credential. */
  describe(): string;
}

/** Any failure of a storage operation; the subclasses say what the caller can do about it. */
export class StorageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The key is not one this storage accepts: a caller's bug or a hostile request (HTTP 400). */
export class StorageKeyError extends StorageError {}

/** The storage refused: bad credentials, a read-only storage, a path that leaves the root (HTTP 500: fix the setup). */
export class StorageAccessError extends StorageError {}

/** The backend asked us to slow down (HTTP 503 with `Retry-After`). */
export class StorageRateLimitedError extends StorageError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The backend is down, answered 5xx after its retries, or ran past the deadline (HTTP 503: try again later). */
export class StorageUnavailableError extends StorageError {}

/**
 * Keys are relative paths of short segments made of `[A-Za-z0-9._-]`. That excludes, by construction, absolute
 * paths, backslashes, NUL, `..`, and every character a URL or a filesystem would treat specially. Segments may
 * not start with a dot either: the local storage keeps its own files (metadata, half-written temporaries) under
 * dot-names next to the objects, where no key can reach them.
 */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** Segment length leaves room, within the usual 255-byte file name limit, for the local storage's dot-names. */
export const MAX_SEGMENT_LENGTH = 128;
export const MAX_KEY_LENGTH = 256;

function keyProblem(key: string): string | null {
  if (typeof key !== "string" || key.length === 0) return "is empty";
  if (key.length > MAX_KEY_LENGTH) return `is longer than ${MAX_KEY_LENGTH} characters`;
  for (const segment of key.split("/")) {
    if (segment.length === 0) return "has an empty segment (a leading, trailing or doubled /)";
    if (segment.length > MAX_SEGMENT_LENGTH) return `has a segment longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (!SEGMENT.test(segment)) return "must be /-separated segments of A-Z a-z 0-9 . _ -, none starting with a dot";
  }
  return null;
}

/** Returns `key` when it is valid; throws StorageKeyError otherwise. */
export function validateKey(key: string): string {
  const problem = keyProblem(key);
  if (problem) throw new StorageKeyError(`invalid storage key ${JSON.stringify(String(key).slice(0, 80))}: it ${problem}`);
  return key;
}

/** A list prefix is empty, or a valid key optionally followed by one `/`. */
export function validatePrefix(prefix: string): string {
  if (prefix !== "") validateKey(prefix.endsWith("/") ? prefix.slice(0, -1) : prefix);
  return prefix;
}

/** Sorts by key in code-unit order, the order of Blob's listings, whatever the locale. */
export function byKey(a: StoredEntry, b: StoredEntry): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** A view of `storage` that refuses put and delete: for objects other tools write, such as the models. */
export function readOnly(storage: Storage): Storage {
  const refuse = (key: string): never => {
    throw new StorageAccessError(`cannot change ${key}: ${storage.describe()} is read-only here`);
  };
  return {
    get: (key) => storage.get(key),
    list: (prefix) => storage.list(prefix),
    put: async (key) => refuse(key),
    delete: async (key) => refuse(key),
    describe: () => `${storage.describe()} (read-only)`,
  };
}
