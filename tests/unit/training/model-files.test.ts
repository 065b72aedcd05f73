import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { loadLayersModel, type LayersModel } from "@tensorflow/tfjs-layers";
import { loadModelFromFile, saveModelToDir } from "@/training/model-files";
import { nodeSha256 } from "../../helpers/sha256";
import { buildDae, buildDigitEncoder } from "@/training/models";

let dir: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  await tf.setBackend("cpu");
  dir = await mkdtemp(path.join(tmpdir(), "model-files-"));
  // A bare static file server: the browser and the server routes load models over HTTP like this.
  server = createServer(async (req, res) => {
    try {
      res.end(await readFile(path.join(dir, path.normalize(req.url ?? "/"))));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

function expectSameOutputs(a: LayersModel, b: LayersModel, input: tf.Tensor) {
  const [ya, yb] = [a.predict(input) as tf.Tensor, b.predict(input) as tf.Tensor];
  expect(yb.shape).toEqual(ya.shape);
  expect(Array.from(yb.dataSync())).toEqual(Array.from(ya.dataSync()));
  tf.dispose([ya, yb]);
}

describe("model files", () => {
  it("saves model.json and shards with their sha256, and loads them back from disk and over HTTP", async () => {
    const model = buildDae({ filters: 8, depth: 1, downsampling: 2 });
    const saved = await saveModelToDir(model, path.join(dir, "saved"));
    expect(saved.map((f) => f.path).sort()).toEqual(["group1-shard1of1.bin", "model.json"]);
    for (const file of saved) {
      const data = await readFile(path.join(dir, "saved", file.path));
      expect(file.bytes).toBe(data.length);
      expect(file.sha256).toBe(nodeSha256(data));
    }
    const input = tf.randomUniform([2, 16, 24, 3], 0, 1, "float32", 1);
    const fromDisk = await loadModelFromFile(path.join(dir, "saved", "model.json"));
    expectSameOutputs(model, fromDisk, input);
    const overHttp = await loadLayersModel(`${baseUrl}/saved/model.json`);
    expectSameOutputs(model, overHttp, input);
    tf.dispose(input);
  });

  it("splits weights over 4 MB into several shards and leaves no temporary files", async () => {
    const model = buildDigitEncoder(); // 784-1000-500-250-2: about 5.6 MB of float32 weights
    const saved = await saveModelToDir(model, path.join(dir, "encoder"));
    expect(saved.filter((f) => f.path.endsWith(".bin")).map((f) => f.path)).toEqual([
      "group1-shard1of2.bin",
      "group1-shard2of2.bin",
    ]);
    expect((await readdir(path.join(dir, "encoder"))).sort()).toEqual(saved.map((f) => f.path).sort());
    const input = tf.randomUniform([3, 784], 0, 1, "float32", 2);
    expectSameOutputs(model, await loadModelFromFile(path.join(dir, "encoder", "model.json")), input);
    tf.dispose(input);
  });

  it("fails clearly on a missing model file", async () => {
    await expect(loadModelFromFile(path.join(dir, "absent", "model.json"))).rejects.toThrow(/ENOENT/);
  });
});
