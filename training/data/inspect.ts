/**
 * Loads a data file and prints one line saying what it holds: a quick check that a download is usable.
 *
 *   tsx training/data/inspect.ts <path> [--split train|test] [--size N] [--limit N]
 *
 * <path> is anything loadFaces reads (.npz, .u8/.json, a folder of photos) or an MNIST IDX file
 * (*-ubyte or *-ubyte.gz). Bad data exits 1 with one line on stderr; bad usage exits 2.
 */

import { parseArgs } from "node:util";
import { runDataCommand } from "./errors";
import { loadFaces, type FaceSplit } from "./faces";
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, readIdx } from "./idx";

const USAGE = "usage: inspect <path> [--split train|test] [--size N] [--limit N]";

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { split: { type: "string" }, size: { type: "string" }, limit: { type: "string" } },
  });
  if (positionals.length !== 1) throw new Error(USAGE);
  const [file] = positionals;
  console.log(/-ubyte(\.gz)?$/.test(file) ? describeIdx(file) : await describeFaces(file, values));
}

function describeIdx(file: string): string {
  const magic = /idx1-ubyte(\.gz)?$/.test(file) ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
  const { dims } = readIdx(file, magic);
  return `${file}: IDX ${magic === IDX_LABELS_MAGIC ? "labels" : "images"}, dims ${dims.join("x")}`;
}

async function describeFaces(file: string, values: { split?: string; size?: string; limit?: string }): Promise<string> {
  const faces = await loadFaces(file, {
    split: parseSplit(values.split),
    size: parseOptionalInteger("size", values.size),
    limit: parseOptionalInteger("limit", values.limit),
  });
  return `${faces.source}: ${faces.count} images, ${faces.size}x${faces.size} RGB`;
}

function parseSplit(split: string | undefined): FaceSplit | undefined {
  if (split === undefined || split === "train" || split === "test") return split;
  throw new Error(`--split must be train or test, got ${split}`);
}

function parseOptionalInteger(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a positive integer, got ${text}`);
  return Number(text);
}

void runDataCommand(main);
