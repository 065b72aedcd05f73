import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BlobStorage, type BlobStorageOptions } from "@/lib/server/storage/blob";
import {
  getModelStorage,
  getStorage,
  readOnly,
  type Storage,
  StorageAccessError,
  StorageKeyError,
  StorageRateLimitedError,
  storagesFromEnv,
  StorageUnavailableError,
} from "@/lib/server/storage";
import { LocalStorage } from "@/lib/server/storage/local";
import { uploadModels } from "@/scripts/upload-models";
import { nodeSha256 } from "../../helpers/sha256";
import { type FakeBlobServer, startFakeBlobServer } from "../../helpers/fake-blob-server";

// Small pages, so that every listing against the fake goes through the cursor.
const LIST_PAGE_SIZE = 2;

let fake: FakeBlobServer;
let scratch: string;
const savedApiUrl = process.env.VERCEL_BLOB_API_URL;

beforeAll(async () => {
  fake = await startFakeBlobServer({ pageSize: LIST_PAGE_SIZE });
  // @vercel/blob reads this on every request; nothing in these tests reaches the real service.
  process.env.VERCEL_BLOB_API_URL = fake.apiUrl;
  scratch = await mkdtemp(path.join(tmpdir(), "storage-contract-"));
});

afterAll(async () => {
  await fake.close();
  await rm(scratch, { recursive: true, force: true });
  if (savedApiUrl === undefined) delete process.env.VERCEL_BLOB_API_URL;
  else process.env.VERCEL_BLOB_API_URL = savedApiUrl;
});

function blobStorage(options: Partial<BlobStorageOptions> = {}): BlobStorage {
  return new BlobStorage({ token: fake.token, timeoutMs: 5_000, ...options });
}

async function freshFolder(): Promise<string> {
  return mkdtemp(path.join(scratch, "root-"));
}

const bytesOf = (text: string) => new TextEncoder().encode(text);
const PNG = { contentType: "image/png" };

const backends: { name: string; make: () => Promise<Storage> }[] = [
  { name: "local filesystem", make: async () => new LocalStorage(await freshFolder()) },
  { name: "Vercel Blob (public)", make: async () => blobStorage() },
  { name: "Vercel Blob (private, under models/)", make: async () => blobStorage({ access: "private", prefix: "models/" }) },
];

const BAD_KEYS = ["../x", "/abs", "a/../../b", "a\\b", "", "x".repeat(300), "a//b", "a/", ".hidden", "a/./b", "nul\0", "sp ace", "c:x"];

describe.each(backends)("storage contract: $name", ({ make }) => {
  let storage: Storage;

  beforeEach(async () => {
    fake.reset();
    storage = await make();
  });

  it("gives back the exact bytes it was given, with their size and SHA-256", async () => {
    const bytes = new Uint8Array([...Array(256).keys(), ...randomBytes(3000)]);
    const written = await storage.put("shares/round-trip.bin", bytes, { contentType: "application/octet-stream" });
    expect(written).toEqual({ key: "shares/round-trip.bin", size: bytes.length, sha256: nodeSha256(bytes) });

    const read = await storage.get("shares/round-trip.bin");
    expect(read).not.toBeNull();
    expect(Buffer.from(read!.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(read).toMatchObject({ key: "shares/round-trip.bin", size: bytes.length, sha256: nodeSha256(bytes) });
    expect(read!.uploadedAt).toBeInstanceOf(Date);
  });

  it("keeps the content type it was given, whatever the key's extension", async () => {
    await storage.put("shares/a.png", bytesOf("png"), PNG);
    await storage.put("notes/a.dat", bytesOf("text"), { contentType: "text/plain; charset=utf-8" });
    expect((await storage.get("shares/a.png"))?.contentType).toBe("image/png");
    expect((await storage.get("notes/a.dat"))?.contentType).toBe("text/plain; charset=utf-8");
  });

  it("replaces an object on a second put, bytes and content type", async () => {
    await storage.put("shares/x.png", bytesOf("first version"), PNG);
    await storage.put("shares/x.png", bytesOf("second"), { contentType: "application/json" });
    const read = await storage.get("shares/x.png");
    expect(new TextDecoder().decode(read!.bytes)).toBe("second");
    expect(read!.contentType).toBe("application/json");
    expect((await storage.list("shares/")).map((e) => e.key)).toEqual(["shares/x.png"]);
  });

  it("deletes, and deleting a missing key is not an error", async () => {
    await storage.put("shares/gone.png", bytesOf("x"), PNG);
    await storage.delete("shares/gone.png");
    expect(await storage.get("shares/gone.png")).toBeNull();
    await expect(storage.delete("shares/gone.png")).resolves.toBeUndefined();
    await expect(storage.delete("never/there.png")).resolves.toBeUndefined();
  });

  it("answers null for a missing key, including one that names a folder of keys", async () => {
    expect(await storage.get("missing.png")).toBeNull();
    expect(await storage.get("no/such/folder.png")).toBeNull();
    await storage.put("folder/inside.png", bytesOf("x"), PNG);
    expect(await storage.get("folder")).toBeNull();
  });

  it("lists by plain string prefix, sorted, with sizes", async () => {
    const keys = ["b/4.bin", "a/2.bin", "ab/3.bin", "a/1.bin", "a/sub/5.bin"];
    for (const key of keys) await storage.put(key, bytesOf(key), { contentType: "application/octet-stream" });

    expect((await storage.list("a/")).map((e) => e.key)).toEqual(["a/1.bin", "a/2.bin", "a/sub/5.bin"]);
    expect((await storage.list("a")).map((e) => e.key)).toEqual(["a/1.bin", "a/2.bin", "a/sub/5.bin", "ab/3.bin"]);
    expect((await storage.list("a/1")).map((e) => e.key)).toEqual(["a/1.bin"]);
    expect((await storage.list()).map((e) => e.key)).toEqual([...keys].sort());
    expect(await storage.list("zzz/")).toEqual([]);
    const [first] = await storage.list("b/");
    expect(first).toMatchObject({ key: "b/4.bin", size: "b/4.bin".length });
    expect(first.uploadedAt).toBeInstanceOf(Date);
  });

  it.each(BAD_KEYS)("refuses the key %j in every operation, before touching anything", async (key) => {
    await expect(storage.put(key, bytesOf("x"), PNG)).rejects.toThrow(StorageKeyError);
    await expect(storage.get(key)).rejects.toThrow(StorageKeyError);
    await expect(storage.delete(key)).rejects.toThrow(StorageKeyError);
    expect(fake.requests).toEqual([]);
    expect(await storage.list()).toEqual([]);
  });

  it("refuses list prefixes that could leave the store", async () => {
    for (const prefix of ["../", "/", "a/../", "a\\"]) await expect(storage.list(prefix)).rejects.toThrow(StorageKeyError);
  });

  it("accepts the keys the site uses: manifest paths and share ids", async () => {
    for (const key of ["encoder/group1-shard1of1.bin", "latent/first-test-codes.f32", "shares/Ab3_x-Yz9.png"]) {
      await storage.put(key, bytesOf(key), { contentType: "application/octet-stream" });
      expect((await storage.get(key))?.size).toBe(key.length);
    }
  });

  it("takes concurrent puts of different keys", async () => {
    const keys = Array.from({ length: 16 }, (_, i) => `shares/concurrent-${i}.png`);
    await Promise.all(keys.map((key) => storage.put(key, bytesOf(key), PNG)));
    const read = await Promise.all(keys.map((key) => storage.get(key)));
    expect(read.map((object) => new TextDecoder().decode(object!.bytes))).toEqual(keys);
    expect((await storage.list("shares/")).length).toBe(keys.length);
  });

  it("leaves one whole version after concurrent puts of the same key", async () => {
    const versions = Array.from({ length: 8 }, (_, i) => new Uint8Array(4096).fill(i + 1));
    await Promise.all(versions.map((bytes) => storage.put("shares/race.png", bytes, PNG)));
    const read = await storage.get("shares/race.png");
    expect(versions.some((bytes) => Buffer.from(bytes).equals(Buffer.from(read!.bytes)))).toBe(true);
    expect((await storage.list()).map((e) => e.key)).toEqual(["shares/race.png"]);
  });

  it("describes itself without credentials", () => {
    expect(storage.describe()).not.toContain(fake.token);
    expect(storage.describe()).not.toContain("secret");
  });
});

describe("Vercel Blob: error answers become clear errors", () => {
  beforeEach(() => fake.reset());

  it("maps a 403 to StorageAccessError, without retrying", async () => {
    fake.fail({ status: 403 });
    await expect(blobStorage().put("shares/a.png", bytesOf("x"), PNG)).rejects.toThrow(StorageAccessError);
    expect(fake.requests).toHaveLength(1);
  });

  it("maps a wrong token to StorageAccessError that points at BLOB_READ_WRITE_TOKEN and does not leak it", async () => {
    const storage = new BlobStorage({ token: "vercel_blob_rw_fakestore_wrong", timeoutMs: 5_000 });
    const error = await storage.get("shares/a.png").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageAccessError);
    expect((error as Error).message).toContain("BLOB_READ_WRITE_TOKEN");
    expect((error as Error).message).not.toContain("wrong");
  });

  it("maps a 429 to StorageRateLimitedError with its Retry-After, without retrying", async () => {
    fake.fail({ status: 429, retryAfter: 7 });
    const error = await blobStorage().list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageRateLimitedError);
    expect((error as StorageRateLimitedError).retryAfterSeconds).toBe(7);
    expect(fake.requests).toHaveLength(1);
  });

  it("lets @vercel/blob retry a 500, and succeeds when the retry does", async () => {
    fake.fail({ status: 500 });
    await blobStorage().put("shares/retried.png", bytesOf("x"), PNG);
    expect(fake.requests.map((r) => r.attempt)).toEqual([0, 1]);
    expect(fake.pathnames()).toEqual(["shares/retried.png"]);
  });

  it("reports a 503 that persists as StorageUnavailableError by the deadline", async () => {
    fake.fail({ status: 503 }, Infinity);
    // async-retry waits 1-2 s before the first retry: the deadline lets at least one happen, and stops the rest
    // (the library alone would go on for 10 retries and minutes of backoff).
    await expect(blobStorage({ timeoutMs: 2_500 }).get("shares/a.png")).rejects.toThrow(/did not read shares\/a\.png within 2500 ms/);
    expect(fake.requests.length).toBeGreaterThanOrEqual(2);
    expect(fake.requests.length).toBeLessThan(5);
  });

  it("reports an unreachable service as StorageUnavailableError by the deadline", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    process.env.VERCEL_BLOB_API_URL = `http://127.0.0.1:${closedPort}/api/blob`;
    try {
      await expect(blobStorage({ timeoutMs: 1_000 }).list()).rejects.toThrow(StorageUnavailableError);
    } finally {
      process.env.VERCEL_BLOB_API_URL = fake.apiUrl;
    }
  });

  it("maps download failures: 5xx to StorageUnavailableError, 403 to StorageAccessError, 404 to null", async () => {
    const storage = blobStorage();
    await storage.put("shares/a.png", bytesOf("x"), PNG);
    fake.fail({ status: 502, on: "download" });
    await expect(storage.get("shares/a.png")).rejects.toThrow(StorageUnavailableError);
    fake.fail({ status: 403, on: "download" });
    await expect(storage.get("shares/a.png")).rejects.toThrow(StorageAccessError);
    fake.fail({ status: 404, on: "download" });
    expect(await storage.get("shares/a.png")).toBeNull();
    expect((await storage.get("shares/a.png"))?.size).toBe(1);
  });

  it("follows the list cursor across pages", async () => {
    const storage = blobStorage();
    for (let i = 0; i < 5; i++) await storage.put(`shares/${i}.png`, bytesOf("x"), PNG);
    fake.requests.length = 0;
    expect(await storage.list("shares/")).toHaveLength(5);
    expect(fake.requests).toHaveLength(Math.ceil(5 / LIST_PAGE_SIZE));
  });

  it("sends the token with downloads of private blobs only", async () => {
    await blobStorage({ access: "private" }).put("p.png", bytesOf("x"), PNG);
    await blobStorage().put("q.png", bytesOf("x"), PNG);
    expect((await blobStorage({ access: "private" }).get("p.png"))?.size).toBe(1);
    expect((await blobStorage().get("q.png"))?.size).toBe(1);
    const downloads = fake.requests.filter((r) => r.url.startsWith("/store/"));
    expect(downloads.map((r) => [r.url, r.authorized])).toEqual([
      ["/store/private/p.png", true],
      ["/store/public/q.png", false],
    ]);
  });
});

describe("local filesystem: the root holds", () => {
  let root: string;
  let outside: string;

  beforeEach(async () => {
    root = await freshFolder();
    outside = await freshFolder();
    await writeFile(path.join(outside, "secret.txt"), "outside the root");
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it("refuses a symlinked file that escapes the root", async () => {
    await symlink(path.join(outside, "secret.txt"), path.join(root, "link.txt"));
    await expect(new LocalStorage(root).get("link.txt")).rejects.toThrow(StorageAccessError);
  });

  it("refuses to read or write through a symlinked folder that escapes the root, and does not list it", async () => {
    await symlink(outside, path.join(root, "escape"));
    const storage = new LocalStorage(root);
    await expect(storage.get("escape/secret.txt")).rejects.toThrow(StorageAccessError);
    await expect(storage.put("escape/new.png", bytesOf("x"), PNG)).rejects.toThrow(StorageAccessError);
    await expect(storage.put("escape/deeper/new.png", bytesOf("x"), PNG)).rejects.toThrow(StorageAccessError);
    await expect(storage.delete("escape/secret.txt")).rejects.toThrow(StorageAccessError);
    expect(await readdir(outside)).toEqual(["secret.txt"]);
    expect(await storage.list()).toEqual([]);
  });

  it("follows symlinks that stay inside the root", async () => {
    await mkdir(path.join(root, "real"));
    await writeFile(path.join(root, "real", "a.json"), "{}");
    await symlink(path.join(root, "real"), path.join(root, "alias"));
    expect((await new LocalStorage(root).get("alias/a.json"))?.contentType).toBe("application/json");
  });

  it("types files written by other tools from their extension, and hides its own bookkeeping", async () => {
    await mkdir(path.join(root, "some-model"));
    await writeFile(path.join(root, "some-model", "model.json"), "{}");
    await writeFile(path.join(root, "some-model", "group1-shard1of1.bin"), "0123");
    const storage = new LocalStorage(root);
    expect((await storage.get("some-model/model.json"))?.contentType).toBe("application/json");
    expect((await storage.get("some-model/group1-shard1of1.bin"))?.contentType).toBe("application/octet-stream");

    await storage.put("some-model/extra.png", bytesOf("x"), PNG);
    expect((await storage.list()).map((e) => e.key)).toEqual(["some-model/extra.png", "some-model/group1-shard1of1.bin", "some-model/model.json"]);
    // Only the object and its metadata: no temporary file survives a put.
    expect((await readdir(path.join(root, "some-model"))).filter((name) => name.includes("extra"))).toEqual([".extra.png.meta.json", "extra.png"]);
  });

  it("removes the folders a delete empties, up to the root and no further, so deleted shares leave no folders behind", async () => {
    const storage = new LocalStorage(root);
    await storage.put("shares/a/one.png", bytesOf("1"), PNG);
    await storage.put("shares/a/two.png", bytesOf("2"), PNG);
    await storage.put("shares/b/one.png", bytesOf("3"), PNG);
    await storage.delete("shares/a/one.png");
    expect((await readdir(path.join(root, "shares"))).sort()).toEqual(["a", "b"]);
    await storage.delete("shares/a/two.png");
    expect(await readdir(path.join(root, "shares"))).toEqual(["b"]);
    await storage.delete("shares/b/one.png");
    expect(await readdir(root)).toEqual([]);
  });

  it("puts into a folder while deletes empty and remove it", async () => {
    // The race is narrow (a delete's rmdir between a put's mkdir and its write): without put's retry, 500 rounds
    // lost a put in the first run that tried.
    const storage = new LocalStorage(root);
    for (let round = 0; round < 300; round++) {
      await storage.put(`f/old-${round}.png`, bytesOf("x"), PNG);
      await Promise.all([storage.delete(`f/old-${round}.png`), storage.put(`f/new-${round}.png`, bytesOf("y"), PNG)]);
      expect((await storage.get(`f/new-${round}.png`))?.size).toBe(1);
      await storage.delete(`f/new-${round}.png`);
    }
  });

  it("starts from a root that does not exist yet", async () => {
    const storage = new LocalStorage(path.join(root, "not", "yet"));
    expect(await storage.get("a.png")).toBeNull();
    expect(await storage.list()).toEqual([]);
    await storage.put("a.png", bytesOf("x"), PNG);
    expect(await readFile(path.join(root, "not", "yet", "a.png"), "utf8")).toBe("x");
  });
});

describe("choosing the storage", () => {
  it("uses Vercel Blob when BLOB_READ_WRITE_TOKEN is set, models under models/ and read-only", async () => {
    const { data, models } = storagesFromEnv({ BLOB_READ_WRITE_TOKEN: fake.token, BLOB_ACCESS: "private" });
    expect(data.describe()).toBe("Vercel Blob store fakestore (private)");
    expect(models.describe()).toBe("Vercel Blob store fakestore (private) under models/ (read-only)");

    fake.reset();
    await blobStorage({ access: "private", prefix: "models/" }).put("some-model/model.json", bytesOf("{}"), { contentType: "application/json" });
    expect(fake.pathnames()).toEqual(["models/some-model/model.json"]);
    expect((await models.get("some-model/model.json"))?.contentType).toBe("application/json");
    expect((await data.get("models/some-model/model.json"))?.size).toBe(2);
    await expect(models.put("some-model/model.json", bytesOf("{}"), PNG)).rejects.toThrow(StorageAccessError);
    await expect(models.delete("some-model/model.json")).rejects.toThrow(StorageAccessError);
  });

  it("uses the local disk otherwise: DATA_DIR for data, MODELS_DIR (read-only) for the models", async () => {
    const dataDir = await freshFolder();
    const modelsDir = await freshFolder();
    await writeFile(path.join(modelsDir, "manifest.json"), "{}");
    const { data, models } = storagesFromEnv({ DATA_DIR: dataDir, MODELS_DIR: modelsDir });
    expect(data.describe()).toBe(`local folder ${dataDir}`);
    expect((await models.get("manifest.json"))?.size).toBe(2);
    await expect(models.put("manifest.json", bytesOf("{}"), PNG)).rejects.toThrow(StorageAccessError);
  });

  it("refuses a BLOB_ACCESS other than public or private", () => {
    expect(() => storagesFromEnv({ BLOB_READ_WRITE_TOKEN: fake.token, BLOB_ACCESS: "open" })).toThrow(/BLOB_ACCESS/);
  });

  it("makes one instance of each per process", () => {
    expect(getStorage()).toBe(getStorage());
    expect(getModelStorage()).toBe(getModelStorage());
    expect(getModelStorage()).not.toBe(getStorage());
  });

  it("wraps any storage read-only", async () => {
    const inner = new LocalStorage(await freshFolder());
    await inner.put("a.png", bytesOf("x"), PNG);
    const view = readOnly(inner);
    expect((await view.list()).map((e) => e.key)).toEqual(["a.png"]);
    await expect(view.put("a.png", bytesOf("y"), PNG)).rejects.toThrow(StorageAccessError);
    expect(new TextDecoder().decode((await view.get("a.png"))!.bytes)).toBe("x");
  });
});

describe("npm run upload-models", () => {
  async function modelsFolder(files: Record<string, string>, listed = files): Promise<LocalStorage> {
    const dir = await freshFolder();
    const entries = Object.entries(listed).map(([file, text]) => ({ path: file, sha256: nodeSha256(bytesOf(text)), bytes: text.length }));
    const training = { config: {}, backend: "cpu", seconds: 1, examplesSeen: 1, epochs: 1, trainedAt: "2025-01-01T00:00:00Z", metrics: {} };
    const manifest = { version: 1, models: { dae: { format: "layers-model", entry: "model.json", files: entries, inputs: [], outputs: [], training } } };
    const storage = new LocalStorage(dir);
    for (const [file, text] of Object.entries({ ...files, "manifest.json": JSON.stringify(manifest) })) {
      await storage.put(file, bytesOf(text), { contentType: "application/octet-stream" });
    }
    return storage;
  }

  beforeEach(() => fake.reset());

  it("uploads the manifest's files under models/, the manifest last, each read back and verified", async () => {
    const source = await modelsFolder({ "some-model/model.json": "{}", "some-model/group1-shard1of1.bin": "weights" });
    const written = await uploadModels(source, blobStorage({ prefix: "models/" }));
    expect(written).toEqual(["some-model/model.json", "some-model/group1-shard1of1.bin", "manifest.json"]);
    expect(fake.pathnames()).toEqual(["models/manifest.json", "models/some-model/group1-shard1of1.bin", "models/some-model/model.json"]);
    const puts = fake.requests.filter((r) => r.method === "PUT").map((r) => new URLSearchParams(r.url.split("?")[1]).get("pathname"));
    expect(puts.at(-1)).toBe("models/manifest.json");
    const models = storagesFromEnv({ BLOB_READ_WRITE_TOKEN: fake.token }).models;
    expect((await models.get("some-model/model.json"))?.contentType).toBe("application/json");
  });

  it("uploads nothing when a file does not match its sha256 in the manifest", async () => {
    const source = await modelsFolder({ "some-model/model.json": "{}", "some-model/group1-shard1of1.bin": "retrained" }, { "some-model/model.json": "{}", "some-model/group1-shard1of1.bin": "weights" });
    await expect(uploadModels(source, blobStorage({ prefix: "models/" }))).rejects.toThrow(/group1-shard1of1.bin does not match its sha256/);
    expect(fake.pathnames()).toEqual([]);
  });
});
