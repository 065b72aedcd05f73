import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "./fixtures";
import { startServer } from "../../scripts/local-server.mjs";

/**
 * The same production build served by Deno (`deno run -A node_modules/next/dist/bin/next start`, as the README
 * says): the routes answer as they do under Node, byte for byte.
 */

const DENO = "node_modules/.bin/deno";
let server: ChildProcess;
let denoBase: string;

test.beforeAll(async () => {
  ({ base: denoBase, child: server } = await startServer(DENO, ["run", "-A", "node_modules/next/dist/bin/next", "start"]));
});

test.afterAll(() => {
  server?.kill("SIGTERM");
});

test("under Deno: health, denoise and decode answer as under Node", async ({ request }) => {
  const health = await (await fetch(`${denoBase}/api/health`)).json();
  expect(health).toMatchObject({ ready: true, backend: "wasm" });
  expect(health.models).toEqual((await (await request.get("/api/health")).json()).models);

  const face = readFileSync("tests/fixtures/images/a-face.png");
  const denoise = (base: string) =>
    fetch(`${base}/api/denoise?noise=gaussian&level=0.1&seed=5`, { method: "POST", headers: { "content-type": "image/png" }, body: face });
  const [underDeno, underNode] = await Promise.all([denoise(denoBase), denoise(test.info().project.use.baseURL!)]);
  expect(underDeno.status).toBe(200);
  expect(Buffer.from(await underDeno.arrayBuffer()).equals(Buffer.from(await underNode.arrayBuffer()))).toBe(true);

  const decode = (base: string) =>
    fetch(`${base}/api/vae/decode`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ z: [[0.3, -0.7]] }) }).then((r) => r.json());
  const [a, b] = await Promise.all([decode(denoBase), decode(test.info().project.use.baseURL!)]);
  expect(a.pixels).toEqual(b.pixels);

  const bad = await fetch(`${denoBase}/api/denoise`, { method: "POST", headers: { "content-type": "image/png" }, body: "not an image" });
  expect([bad.status, typeof (await bad.json()).error]).toEqual([415, "string"]);
});
