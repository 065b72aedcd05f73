import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { GET as health } from "@/app/api/health/route";

/** GET /api/health on a deployment whose models are missing: 503, not ready, with the reason. (A file of its own:
 * each process keeps its storage and models once chosen.) */

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "no-models-"));
  process.env.MODELS_DIR = dir;
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  delete process.env.MODELS_DIR;
});

it("answers 503 with ready false and the reason when the manifest is missing", async () => {
  const response = await health();
  expect(response.status).toBe(503);
  const body = await response.json();
  expect(body.ready).toBe(false);
  expect(body.error).toBe("not ready: there is no manifest.json in local folder <MODELS_DIR> (read-only)");
  expect(JSON.stringify(body)).not.toContain(dir);
  expect(body.uptimeSeconds).toBeGreaterThanOrEqual(0);
});
