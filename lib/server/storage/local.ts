import { randomBytes } from "node:crypto";
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  byKey,
  type PutOptions,
  type PutResult,
  type Storage,
  StorageAccessError,
  StorageError,
  type StoredEntry,
  type StoredObject,
  validateKey,
  validatePrefix,
} from "./types";
import { sha256Hex } from "../../sha256";

/**
 * Objects as plain files under a root folder: key `shares/ab.png` is `<root>/shares/ab.png`, so the repository's
 * `models/` folder can be served as it is. A file's content type lives beside it in `.<name>.meta.json`; files
 * without one (the models, written by training) get a type from their extension.
 *
 * Every path is checked twice against the root: lexically (keys cannot hold `..` anyway), and after resolving
 * symlinks, so that a link inside the root cannot hand out or overwrite files outside it.
 */

interface Metadata {
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
};

/** The content type a file name implies; binary for anything unknown (model shards, .f32, .u8). */
export function contentTypeFromName(name: string): string {
  return CONTENT_TYPES[path.extname(name).toLowerCase()] ?? "application/octet-stream";
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Errors that mean "there is no object under this key". */
const ABSENT = new Set(["ENOENT", "ENOTDIR", "EISDIR"]);

function isAbsent(error: unknown): boolean {
  return ABSENT.has(errorCode(error) ?? "");
}

function metadataPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.meta.json`);
}

/**
 * Writes through a temporary name in the same folder, so a reader or a crash never sees half a file. Training
 * writes its files with the write-file-atomic package; here we keep our own because its temporary files take the
 * target's name plus a suffix, which a listing would report as a key, while ours are dot-names no key can reach.
 */
async function replaceFile(file: string, data: Uint8Array | string): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temporary, data);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export class LocalStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(/*turbopackIgnore: true*/ root);
  }

  describe(): string {
    return `local folder ${this.root}`;
  }

  async get(key: string): Promise<StoredObject | null> {
    const file = await this.existingRealPath(this.lexicalPath(key));
    if (!file) return null;
    try {
      const info = await stat(file);
      if (!info.isFile()) return null;
      const bytes = new Uint8Array(await readFile(file));
      const metadata = await this.readMetadata(file);
      return {
        key,
        bytes,
        size: bytes.length,
        contentType: metadata?.contentType ?? contentTypeFromName(file),
        sha256: await sha256Hex(bytes),
        uploadedAt: info.mtime,
      };
    } catch (error) {
      // Deleted between the path check and the read.
      if (isAbsent(error)) return null;
      throw this.failure(`read ${key}`, error);
    }
  }

  async put(key: string, bytes: Uint8Array, { contentType }: PutOptions): Promise<PutResult> {
    const target = this.lexicalPath(key);
    // A delete elsewhere in the same folder may remove it, emptied, between our mkdir and our write: then again.
    for (let attempt = 1; ; attempt++) {
      try {
        const folder = await this.prepareFolder(path.dirname(target));
        const file = path.join(folder, path.basename(target));
        await this.step(`write ${key}`, async () => {
          // Metadata first: a crash in between leaves the old bytes under the new type, never a file without its type.
          await replaceFile(metadataPath(file), JSON.stringify({ contentType } satisfies Metadata));
          await replaceFile(file, bytes);
        });
        break;
      } catch (error) {
        if (attempt >= 3 || !(error instanceof StorageError && isAbsent(error.cause))) throw error;
      }
    }
    return { key, size: bytes.length, sha256: await sha256Hex(bytes) };
  }

  async delete(key: string): Promise<void> {
    const target = this.lexicalPath(key);
    const folder = await this.existingRealPath(path.dirname(target));
    if (!folder) return;
    const file = path.join(folder, path.basename(target));
    await this.step(`delete ${key}`, async () => {
      // A folder is not an object: deleting it is a no-op, as deleting any missing key is.
      if ((await lstat(file).catch(() => null))?.isDirectory()) return;
      // rm removes a symlink itself, never what it points to.
      await rm(file, { force: true });
      await rm(metadataPath(file), { force: true });
      await this.removeEmptyFolders(folder);
    });
  }

  /**
   * Removes `folder` and then its parents, below the root, while they are empty, so deleted objects leave no
   * folders behind: every share is a folder, and a disk full of empty ones is still full.
   */
  private async removeEmptyFolders(folder: string): Promise<void> {
    const realRoot = await this.realRoot();
    if (!realRoot) return;
    for (let current = folder; current.startsWith(realRoot + path.sep); current = path.dirname(current)) {
      // Not empty (ENOTEMPTY), or already gone: either way, nothing above it is empty because of us.
      if (!(await rmdir(current).then(() => true, () => false))) return;
    }
  }

  async list(prefix = ""): Promise<StoredEntry[]> {
    validatePrefix(prefix);
    // Walk only the folder the prefix names, then match the rest of the prefix as a string.
    const folderKey = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const folder = await this.existingRealPath(folderKey ? this.lexicalPath(folderKey) : this.root);
    if (!folder) return [];
    const entries = await this.step(`list ${prefix}`, () => this.walk(folder, folderKey));
    return entries.filter((entry) => entry.key.startsWith(prefix)).sort(byKey);
  }

  /** Regular files only: symlinks are not followed, so a listing never reaches outside the root. */
  private async walk(folder: string, folderKey: string): Promise<StoredEntry[]> {
    const found: StoredEntry[] = [];
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const key = folderKey ? `${folderKey}/${entry.name}` : entry.name;
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) found.push(...(await this.walk(file, key)));
      else if (entry.isFile()) {
        const info = await lstat(file);
        found.push({ key, size: info.size, uploadedAt: info.mtime });
      }
    }
    return found;
  }

  private lexicalPath(key: string): string {
    const file = path.resolve(/*turbopackIgnore: true*/ this.root, ...validateKey(key).split("/"));
    this.assertInside(file, key);
    return file;
  }

  private assertInside(file: string, key: string, realRoot = this.root): void {
    if (!file.startsWith(realRoot + path.sep)) {
      throw new StorageAccessError(`${key} resolves outside ${this.describe()}; refusing it`);
    }
  }

  /** The root with its symlinks resolved, or null while it does not exist. */
  private async realRoot(): Promise<string | null> {
    try {
      return await realpath(this.root);
    } catch (error) {
      if (isAbsent(error)) return null;
      throw this.failure("open the root", error);
    }
  }

  /** `file` with its symlinks resolved, checked to stay inside the root; null when it does not exist. */
  private async existingRealPath(file: string): Promise<string | null> {
    const realRoot = await this.realRoot();
    if (!realRoot) return null;
    let real: string;
    try {
      real = await realpath(file);
    } catch (error) {
      if (isAbsent(error) || errorCode(error) === "ELOOP") return null;
      throw this.failure(`open ${path.relative(this.root, file)}`, error);
    }
    const key = path.relative(this.root, file).split(path.sep).join("/");
    if (real !== realRoot) this.assertInside(real, key, realRoot);
    return real;
  }

  /**
   * Creates `folder` (inside the root) and returns its real path. The nearest folder that already exists is
   * checked before anything is created, so a symlink pointing outside the root never gets folders made through it.
   */
  private async prepareFolder(folder: string): Promise<string> {
    await this.step(`create ${this.root}`, () => mkdir(this.root, { recursive: true }));
    let existing = folder;
    while (existing !== this.root && !(await this.existingRealPath(existing))) existing = path.dirname(existing);
    await this.step(`create ${path.relative(this.root, folder)}`, () => mkdir(folder, { recursive: true }));
    const real = await this.existingRealPath(folder);
    // As absent as ENOENT: put tries again.
    if (!real) throw new StorageError(`folder ${folder} vanished while writing`, { cause: Object.assign(new Error("vanished"), { code: "ENOENT" }) });
    return real;
  }

  private async readMetadata(file: string): Promise<Metadata | null> {
    try {
      const parsed = JSON.parse(await readFile(metadataPath(file), "utf8")) as Partial<Metadata>;
      return typeof parsed.contentType === "string" ? { contentType: parsed.contentType } : null;
    } catch {
      return null;
    }
  }

  /** Runs a filesystem step, turning its failures into storage errors that name the step. */
  private async step<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw this.failure(name, error);
    }
  }

  private failure(step: string, error: unknown): StorageError {
    if (error instanceof StorageError) return error;
    const Failure = errorCode(error) === "EACCES" || errorCode(error) === "EPERM" ? StorageAccessError : StorageError;
    return new Failure(`cannot ${step} in ${this.describe()}: ${(error as Error).message}`, { cause: error });
  }
}
