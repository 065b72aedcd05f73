import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { MODELS } from "@/lib/catalogue";
import type { FileEntry } from "@/lib/manifest";
import { MANIFEST_MAX_AGE_MS, readManifestFile } from "@/lib/server/models";
import { POST as denoise } from "@/app/api/denoise/route";
import { GET as health } from "@/app/api/health/route";
import { settle } from "../../helpers/fake-timers";
import { nodeSha256 } from "../../helpers/sha256";
import { daeWeightFile, exportThrowawayModels, flipByte, writeManifestWith } from "../../helpers/throwaway-models";

/**
 * The server's integrity check through the routes (issue #13, item 2), on a throwaway models folder: a DAE weight
 * shard with one byte flipped is never served; POST /api/denoise answers 503 with a JSON error saying the model
 * files do not match their manifest (the server's problem, not the client's), GET /api/health 503 naming the
 * file; a restored file is served again, and a corrected manifest is picked up once the cached one is older than
 * its max age. (A file of its own: each process keeps its storage, manifest and models once read.) Fake timers
 * stand in for the 1 s waits between the server's three attempts; Date.now is mocked for the manifest's age.
 */

let dir: string;
let shard: FileEntry;
let modelJsonSha: string;

const shardFile = () => path.join(dir, shard.path);
const face = readFileSync("tests/fixtures/images/a-face.png");
const post = () =>
  denoise(new Request("http://localhost/api/denoise?noise=none", { method: "POST", body: new Uint8Array(face), headers: { "content-type": "image/png" } }));

beforeAll(async () => {
  await tf.setBackend("cpu");
  const exported = await exportThrowawayModels("integrity-server-", { vae: true });
  dir = exported.dir;
  process.env.MODELS_DIR = dir;
  shard = daeWeightFile(exported.entries);
  modelJsonSha = exported.entries[MODELS.dae.key].files.find((f) => f.path === MODELS.dae.entry)!.sha256;
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

describe("a DAE weight file that does not match the manifest", () => {
  let denoisedBefore: Buffer;

  it("is refused: /api/denoise answers 503 with a JSON error, never an image, and /api/health 503 naming the file", async () => {
    const restore = flipByte(shardFile());
    try {
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      const response = await settle(post());
      expect(errors).toHaveBeenCalled();
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toMatch(/^application\/json/);
      expect(response.headers.get("x-model-sha256")).toBeNull();
      const { error } = await response.json();
      expect(error).toMatch(/model files do not match their manifest/);
      expect(error).toContain(shard.path);

      const unready = await settle(health());
      expect(unready.status).toBe(503);
      const body = await unready.json();
      expect(body.ready).toBe(false);
      expect(body.error).toContain(shard.path);
      expect(body.error).toMatch(/does not match its sha256/);
    } finally {
      restore();
    }
  });

  it("is served again once the file is restored (a failed load is not kept)", async () => {
    const response = await settle(post());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(response.headers.get("x-model-sha256")).toBe(modelJsonSha);
    denoisedBefore = Buffer.from(await response.arrayBuffer());

    const ready = await settle(health());
    expect(ready.status).toBe(200);
    expect((await ready.json()).models[MODELS.dae.key][shard.path]).toBe(shard.sha256);
  });

  it("a new file with a corrected manifest is served once the cached manifest is past its max age", async () => {
    let now = Date.now();
    vi.spyOn(Date, "now").mockImplementation(() => now);
    await readManifestFile({ fresh: true });

    flipByte(shardFile());
    const changed = readFileSync(shardFile());
    const corrected = { ...shard, bytes: changed.length, sha256: nodeSha256(changed) };
    writeManifestWith(dir, corrected);

    // Within the max age the server goes on with the manifest it read and the model it verified against it.
    now += MANIFEST_MAX_AGE_MS;
    const cached = await settle(health());
    expect((await cached.json()).models[MODELS.dae.key][shard.path]).toBe(shard.sha256);
    const old = await settle(post());
    expect(old.status).toBe(200);
    expect(Buffer.from(await old.arrayBuffer()).equals(denoisedBefore)).toBe(true);

    now += 1;
    const fresh = await settle(health());
    expect(fresh.status).toBe(200);
    expect((await fresh.json()).models[MODELS.dae.key][shard.path]).toBe(corrected.sha256);
    const response = await settle(post());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await response.arrayBuffer()).equals(denoisedBefore)).toBe(false);
  });
});
