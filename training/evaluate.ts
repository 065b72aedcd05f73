/**
 * The evaluation command: `npm run evaluate -- [--models DIR] [--faces PATH] [--limit N] [--out DIR]`.
 *
 * Runs the parts in training/evaluation/: the face denoising evaluation (noisy input, the classical filters at
 * their best parameter, the DAE; faces.ts), the MNIST evaluation (the VAE's negative ELBO, 5-NN accuracy of the
 * 2-D codes, squared reconstruction error; mnist.ts), the targets (targets.ts) and the report (report.ts), and
 * writes REPORT.md, evaluation.json and figures/*.png in the output folder.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { z } from "zod";
import { type Evaluation, evaluationSchema } from "../lib/evaluation";
import { describeBackend, selectBackend } from "./backend";
import { runDataCommand } from "./data/errors";
import { loadAnchors } from "./evaluation/anchors";
import { evaluateFaces } from "./evaluation/faces";
import type { Log } from "./evaluation/format";
import { evaluateMnist } from "./evaluation/mnist";
import { openModelsFolder, trainingSummaries } from "./evaluation/models";
import { renderReport, resultSections } from "./evaluation/report";
import { checkTargets } from "./evaluation/targets";

const DEFAULT_FACES = path.resolve(import.meta.dirname, "../../shared/data/faces/faces-64-test.u8");

const USAGE = `usage: npm run evaluate -- [options]

options:
  --models DIR   the trained models and their manifest.json (default: models)
  --faces PATH   the face test set: .u8 (+ .json), .npz (its x_test) or a folder of photos
                 (default: ../shared/data/faces/faces-64-test.u8)
  --limit N      only the first N test faces, and the first N training and test digits (quick runs)
  --out DIR      where REPORT.md, evaluation.json and figures/ go (default: the models folder)
  -h, --help`;

export interface EvaluationOptions {
  modelsDir: string;
  faces: string;
  /** Only the first `limit` test faces and training and test digits; undefined for all. */
  limit?: number;
  out: string;
  /** How the run was started and on what, for the report. */
  command: string;
  backend: string;
}

function parseCommandLine(argv: string[]): Omit<EvaluationOptions, "backend"> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: "string" },
      faces: { type: "string" },
      limit: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const limit = values.limit === undefined ? undefined : z.coerce.number().int().positive().safeParse(values.limit);
  if (limit?.success === false) throw new Error(`--limit ${values.limit}: expected a positive integer`);
  const modelsDir = path.resolve(values.models ?? "models");
  return {
    modelsDir,
    faces: path.resolve(values.faces ?? DEFAULT_FACES),
    limit: limit?.data,
    out: path.resolve(values.out ?? modelsDir),
    command: ["npm run evaluate", ...(argv.length > 0 ? ["--", ...argv] : [])].join(" "),
  };
}

async function main(): Promise<void> {
  const options = parseCommandLine(process.argv.slice(2));
  const backend = describeBackend(await selectBackend());
  console.log(`backend: ${backend}`);
  await evaluate({ ...options, backend });
}

/** Runs the evaluation with the backend already active, writes the report, JSON and figures, and returns the numbers. */
export async function evaluate(options: EvaluationOptions, log: Log = console.log): Promise<Evaluation> {
  const started = performance.now();
  // The models and the anchors are checked before the first model runs: a missing one fails the run at once.
  const models = await openModelsFolder(options.modelsDir);
  const anchors = await loadAnchors();
  const faces = await evaluateFaces(models, { file: options.faces, limit: options.limit }, options.out, log);
  const mnist = await evaluateMnist(models, options.limit, options.out, log);
  // Through the schema the pages read it with: what is written is what they accept.
  const evaluation = evaluationSchema.parse({
    generatedAt: new Date().toISOString(),
    command: options.command,
    environment: describeEnvironment(options.backend),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    faces,
    mnist,
    targets: checkTargets(faces.settings, mnist),
    training: trainingSummaries(models),
  } satisfies Evaluation);
  await mkdir(options.out, { recursive: true });
  await writeFile(path.join(options.out, "evaluation.json"), `${JSON.stringify(evaluation, null, 2)}\n`);
  await writeFile(path.join(options.out, "REPORT.md"), renderReport(evaluation, anchors));
  log(["", ...resultSections(evaluation, anchors), `evaluated in ${evaluation.seconds} s; report in ${path.join(options.out, "REPORT.md")}`].join("\n\n"));
  return evaluation;
}

function describeEnvironment(backend: string): Evaluation["environment"] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.type()} ${os.arch()}`,
    cpu: `${cpus.length} x ${cpus[0]?.model.trim() ?? "unknown CPU"}`,
    tfjs: tf.version.tfjs,
    backend,
  };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) void runDataCommand(main);
