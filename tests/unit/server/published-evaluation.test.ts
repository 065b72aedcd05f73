import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { afterEach, describe, expect, it } from "vitest";
import { EMBEDDING_IDS } from "@/lib/catalogue";
import type { FaceScores } from "@/lib/evaluation";
import { readPublishedEvaluation } from "@/lib/server/published-evaluation";
import { DenoiseScores } from "@/app/denoise/DenoiseScores";

/** The evaluation figures the pages show: read from models/evaluation.json, and the denoising page's table. */

const root = process.cwd();
let dir: string | null = null;

/** Runs the reader from a folder whose models/evaluation.json holds `content` (or no such file). */
async function readFrom(content: string | null) {
  dir = mkdtempSync(path.join(tmpdir(), "evaluation-"));
  mkdirSync(path.join(dir, "models"));
  if (content !== null) writeFileSync(path.join(dir, "models", "evaluation.json"), content);
  process.chdir(dir);
  return readPublishedEvaluation();
}

afterEach(() => {
  process.chdir(root);
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe("readPublishedEvaluation", () => {
  it("reads the shipped evaluation's face scores, 5-NN accuracies and VAE loss terms", async () => {
    const shipped = JSON.parse(readFileSync("models/evaluation.json", "utf8"));
    const { faces, knn5, vaeLoss } = await readPublishedEvaluation();
    expect(faces?.count).toBe(shipped.faces.count);
    expect(faces?.settings.map((s) => s.dae.psnr)).toEqual(shipped.faces.settings.map((s: { dae: { psnr: number } }) => s.dae.psnr));
    expect(knn5).toEqual(shipped.mnist.knn5);
    expect(vaeLoss).toEqual(shipped.mnist.vae);
  });

  it("gives nulls without the file or with bad JSON, and keeps the good part of a half-broken one", async () => {
    expect(await readFrom(null)).toEqual({ faces: null, knn5: null, vaeLoss: null });
    expect(await readFrom("{ not json")).toEqual({ faces: null, knn5: null, vaeLoss: null });
    const knn5 = Object.fromEntries(EMBEDDING_IDS.map((id, i) => [id, 0.5 + i / 10]));
    expect(await readFrom(JSON.stringify({ faces: { count: "many" }, mnist: { knn5, vae: { kl: "six" } } }))).toEqual({ faces: null, knn5, vaeLoss: null });
    // evaluation.json's schema (lib/evaluation.ts) wants every embedding's accuracy.
    expect(await readFrom(JSON.stringify({ mnist: { knn5: { [EMBEDDING_IDS[0]]: 0.7 } } }))).toEqual({ faces: null, knn5: null, vaeLoss: null });
  });
});

describe("DenoiseScores", () => {
  const psnr = (value: number) => ({ psnr: value, ssim: 0.5 });
  const scores: FaceScores = {
    source: "test faces",
    count: 1503,
    settings: [
      {
        id: "a",
        label: "gaussian σ 0.1",
        noise: { kind: "gaussian", level: 0.1 },
        noisy: psnr(20.5),
        blur: { ...psnr(26), sigma: 0.75 },
        median: { ...psnr(25), window: 3 },
        dae: psnr(27.5),
      },
      {
        id: "b",
        label: "salt-and-pepper 0.1",
        noise: { kind: "salt-pepper", level: 0.1 },
        noisy: psnr(14.8),
        blur: { ...psnr(22.4), sigma: 1.25 },
        median: { ...psnr(28), window: 3 },
        dae: psnr(27.75),
      },
    ],
  };
  const rows = () => renderToStaticMarkup(createElement(DenoiseScores, { faces: scores })).split("<tr").slice(2);

  it("compares the model with the better classical filter of each row, with the gain's sign", () => {
    const [gaussian, saltPepper] = rows();
    expect(gaussian).toMatch(/26\.00.*gaussian blur σ 0\.75.*27\.50.*\+1\.50/);
    expect(saltPepper).toMatch(/28\.00.*median 3×3.*27\.75.*−0\.25/);
  });

  it("names the number of test faces", () => {
    expect(renderToStaticMarkup(createElement(DenoiseScores, { faces: scores }))).toContain("1,503 held-out test faces");
  });
});
