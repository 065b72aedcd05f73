import {
  BlobAccessError,
  BlobNotFoundError,
  BlobRequestAbortedError,
  BlobServiceNotAvailable,
  BlobServiceRateLimited,
  BlobStoreNotFoundError,
  BlobStoreSuspendedError,
  BlobUnknownError,
  del,
  head,
  list,
  put,
} from "@vercel/blob";
import {
  byKey,
  type PutOptions,
  type PutResult,
  type Storage,
  StorageAccessError,
  StorageError,
  StorageRateLimitedError,
  StorageUnavailableError,
  type StoredEntry,
  type StoredObject,
  validateKey,
  validatePrefix,
} from "./types";
import { sha256Hex } from "../../sha256";
import { errorMessage } from "../../errors";

/**
 * Objects in a Vercel Blob store, through `@vercel/blob`. Key `k` is the blob pathname `<prefix>k`.
 *
 * `@vercel/blob` talks to `VERCEL_BLOB_API_URL` (default https://vercel.com/api/blob): PUT `/?pathname=` to put,
 * GET `?url=` for head, GET `?prefix=&cursor=` to list, POST `/delete`. It retries network errors and 5xx answers
 * itself, up to 10 times with exponential backoff from one second (`VERCEL_BLOB_RETRIES`); a 403, 404 or 429 is
 * not retried. Each of our operations runs under a deadline, so a request in a route never waits out all of that.
 *
 * Reading goes head → fetch of the blob's URL rather than through the library's `get`, which builds the URL from
 * the store id and so only ever reaches the real blob hosts.
 */

export type BlobAccess = "public" | "private";

export interface BlobStorageOptions {
  /** A read-write token, `vercel_blob_rw_<storeId>_<secret>`. */
  token: string;
  /** Must match the store's access: a private store refuses public puts. Private blobs are read with the token. */
  access?: BlobAccess;
  /** Prepended to every key, ending in `/`: "models/" lets model files keep their manifest paths as keys. */
  prefix?: string;
  /** Deadline of each operation, retries included. */
  timeoutMs?: number;
}

export const DEFAULT_BLOB_TIMEOUT_MS = 20_000;

function storeIdOf(token: string): string {
  return token.split("_")[3] || "(unknown store)";
}

/** What undici throws when a connection cannot be made ("fetch failed") or breaks mid-body ("terminated"). */
function isNetworkFailure(error: unknown): boolean {
  return error instanceof TypeError && (error.message === "fetch failed" || error.message === "terminated");
}

export class BlobStorage implements Storage {
  private readonly token: string;
  private readonly access: BlobAccess;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor({ token, access = "public", prefix = "", timeoutMs = DEFAULT_BLOB_TIMEOUT_MS }: BlobStorageOptions) {
    if (prefix && !prefix.endsWith("/")) throw new StorageError(`a blob prefix must end with "/", not ${JSON.stringify(prefix)}`);
    this.token = token;
    this.access = access;
    this.prefix = validatePrefix(prefix);
    this.timeoutMs = timeoutMs;
  }

  describe(): string {
    return `Vercel Blob store ${storeIdOf(this.token)} (${this.access})${this.prefix ? ` under ${this.prefix}` : ""}`;
  }

  async get(key: string): Promise<StoredObject | null> {
    const pathname = this.pathname(key);
    return this.withDeadline(`read ${key}`, async (abortSignal) => {
      const info = await head(pathname, { token: this.token, abortSignal }).catch((error: unknown) => {
        if (error instanceof BlobNotFoundError) return null;
        throw error;
      });
      if (!info) return null;
      const response = await fetch(info.url, {
        // A public blob is public: the token goes only where it is needed.
        headers: this.access === "private" ? { authorization: `Bearer ${this.token}` } : {},
        signal: abortSignal,
      });
      // Deleted between head and download.
      if (response.status === 404) return null;
      if (!response.ok) throw downloadFailure(response, `${this.describe()}: downloading ${key} answered ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        key,
        bytes,
        size: bytes.length,
        contentType: response.headers.get("content-type") ?? info.contentType,
        sha256: await sha256Hex(bytes),
        uploadedAt: info.uploadedAt,
      };
    });
  }

  async put(key: string, bytes: Uint8Array, { contentType }: PutOptions): Promise<PutResult> {
    const pathname = this.pathname(key);
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    await this.withDeadline(`write ${key}`, (abortSignal) =>
      put(pathname, body, {
        access: this.access,
        contentType,
        // Keys name objects: a put replaces, as on the filesystem, and never renames.
        allowOverwrite: true,
        addRandomSuffix: false,
        token: this.token,
        abortSignal,
      }),
    );
    return { key, size: bytes.length, sha256: await sha256Hex(bytes) };
  }

  async delete(key: string): Promise<void> {
    const pathname = this.pathname(key);
    await this.withDeadline(`delete ${key}`, (abortSignal) => del(pathname, { token: this.token, abortSignal }));
  }

  async list(prefix = ""): Promise<StoredEntry[]> {
    validatePrefix(prefix);
    return this.withDeadline(`list ${prefix || "all keys"}`, async (abortSignal) => {
      const entries: StoredEntry[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({ prefix: this.prefix + prefix, cursor, token: this.token, abortSignal });
        for (const blob of page.blobs) {
          entries.push({ key: blob.pathname.slice(this.prefix.length), size: blob.size, uploadedAt: blob.uploadedAt });
        }
        cursor = page.hasMore ? page.cursor : undefined;
      } while (cursor);
      return entries.sort(byKey);
    });
  }

  private pathname(key: string): string {
    return this.prefix + validateKey(key);
  }

  /**
   * Runs `operation` with an abort signal that fires at the deadline, and answers by then either way: the
   * library's retry loop only notices the abort when its backoff sleep ends.
   */
  private async withDeadline<T>(action: string, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new StorageUnavailableError(`${this.describe()} did not ${action} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([operation(controller.signal), deadline]);
    } catch (error) {
      throw this.failure(action, error);
    } finally {
      clearTimeout(timer);
    }
  }

  private failure(action: string, error: unknown): StorageError {
    if (error instanceof StorageError) return error;
    const where = this.describe();
    const reason = errorMessage(error);
    const options = { cause: error };
    if (error instanceof BlobServiceRateLimited) {
      return new StorageRateLimitedError(`${where} is rate-limiting us (${action}): ${reason}`, error.retryAfter || null, options);
    }
    if (error instanceof BlobAccessError || error instanceof BlobStoreNotFoundError || error instanceof BlobStoreSuspendedError) {
      return new StorageAccessError(`${where} refused to ${action}: ${reason} Check BLOB_READ_WRITE_TOKEN and BLOB_ACCESS.`, options);
    }
    if (
      error instanceof BlobServiceNotAvailable ||
      error instanceof BlobUnknownError ||
      error instanceof BlobRequestAbortedError ||
      isNetworkFailure(error)
    ) {
      return new StorageUnavailableError(`${where} could not ${action}: ${reason}`, options);
    }
    return new StorageError(`${where} could not ${action}: ${reason}`, options);
  }
}

/** The download of a blob's URL is one plain request, with the same meaning of statuses as the API's. */
function downloadFailure(response: Response, what: string): StorageError {
  if (response.status === 401 || response.status === 403) return new StorageAccessError(`${what}: access denied.`);
  if (response.status === 429) {
    const retryAfter = Number.parseInt(response.headers.get("retry-after") ?? "", 10);
    return new StorageRateLimitedError(what, Number.isFinite(retryAfter) ? retryAfter : null);
  }
  if (response.status >= 500) return new StorageUnavailableError(what);
  return new StorageError(what);
}
