import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { fetchModels } from "@/lib/browser/model-fetch";
import { MODELS } from "@/lib/catalogue";
import type { FileEntry } from "@/lib/manifest";
import { ModelIntegrityError } from "@/lib/model-artifacts";
import { settle } from "../../helpers/fake-timers";
import { nodeSha256 } from "../../helpers/sha256";
import { daeWeightFile, exportThrowawayModels, flipByte, writeManifestWith } from "../../helpers/throwaway-models";

/**
 * The browser's model download refuses a file that does not match the manifest's sha256 (issue #13, item 2): with
 * fetch served from a throwaway models folder, one flipped byte in the DAE's weight shard makes fetchModels fail
 * with a ModelIntegrityError naming the file after its three attempts (each from a fresh manifest), and a manifest
 * or file put right between attempts is picked up. Fake timers stand in for the 0.5 s and 1 s waits between them.
 */

const BASE = "http://test/models";
let dir: string;
let shard: FileEntry;
let pristine: { shard: Buffer; manifest: Buffer };
/** What fetch has been asked for, by path under the models folder. */
let fetched: string[];
/** Called as each manifest is served, with how many have been served before it. */
let beforeManifest: (count: number) => void;

const shardFile = () => path.join(dir, shard.path);
const manifestFetches = () => fetched.filter((p) => p === "manifest.json").length;

beforeAll(async () => {
  await tf.setBackend("cpu");
  const exported = await exportThrowawayModels("integrity-browser-");
  dir = exported.dir;
  shard = daeWeightFile(exported.entries);
  pristine = { shard: readFileSync(shardFile()), manifest: readFileSync(path.join(dir, "manifest.json")) };
  vi.stubGlobal("fetch", async (url: string) => {
    const key = new URL(url).pathname.replace(/^\/models\//, "");
    if (key === "manifest.json") beforeManifest(manifestFetches());
    fetched.push(key);
    try {
      return new Response(new Uint8Array(readFileSync(path.join(dir, key))));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
});

beforeEach(() => {
  writeFileSync(shardFile(), pristine.shard);
  writeFileSync(path.join(dir, "manifest.json"), pristine.manifest);
  fetched = [];
  beforeManifest = () => {};
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
});

afterEach(() => {
  vi.useRealTimers();
});

afterAll(() => {
  vi.unstubAllGlobals();
  rmSync(dir, { recursive: true, force: true });
});

const weights = (result: Awaited<ReturnType<typeof fetchModels>>) => Buffer.from(result.models[0].artifacts.weightData as ArrayBuffer);

describe("fetchModels and a model file that does not match the manifest", () => {
  it("loads the untouched folder with one manifest read", async () => {
    const result = await settle(fetchModels(BASE, [MODELS.dae.key]));
    expect(manifestFetches()).toBe(1);
    expect(weights(result).equals(pristine.shard)).toBe(true);
  });

  it("refuses a weight shard with one byte flipped, naming the file, after three attempts from fresh manifests", async () => {
    flipByte(shardFile());
    const error = await settle(fetchModels(BASE, [MODELS.dae.key])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelIntegrityError);
    expect((error as Error).message).toContain(shard.path);
    expect((error as Error).message).toMatch(/expected sha256/);
    expect(manifestFetches()).toBe(3);
    expect(fetched.filter((p) => p === shard.path)).toHaveLength(3);
  });

  it.each([2, 3])("succeeds when the file is restored before attempt %i", async (attempt) => {
    const restore = flipByte(shardFile());
    beforeManifest = (count) => {
      if (count === attempt - 1) restore();
    };
    const result = await settle(fetchModels(BASE, [MODELS.dae.key]));
    expect(manifestFetches()).toBe(attempt);
    expect(weights(result).equals(pristine.shard)).toBe(true);
  });

  it("succeeds with a manifest rewritten meanwhile with the new file's sha256, and hands over the new bytes", async () => {
    flipByte(shardFile());
    const changed = readFileSync(shardFile());
    const corrected = { ...shard, bytes: changed.length, sha256: nodeSha256(changed) };
    beforeManifest = (count) => {
      if (count === 1) writeManifestWith(dir, corrected);
    };
    const result = await settle(fetchModels(BASE, [MODELS.dae.key]));
    expect(manifestFetches()).toBe(2);
    expect(result.models[0].entry.files).toContainEqual(corrected);
    expect(weights(result).equals(changed)).toBe(true);
    expect(weights(result).equals(pristine.shard)).toBe(false);
  });
});
