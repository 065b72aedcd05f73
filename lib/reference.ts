import { z } from "./zod";
import type { ModelEntry } from "./manifest";
import type { TensorData } from "./run-model";

/**
 * A model's reference answer: a fixed input and the output the shipped model gives for it on tfjs' plain CPU
 * backend, written by `npm run make:derived` (scripts/make-derived.ts) and listed in the manifest as the model's
 * `reference` artifact (sha256-checked like the model). GPU backends sometimes compute wrong results on some drivers;
 * a backend whose answer to the reference input differs from this beyond the tolerance is not trusted with the
 * model (lib/browser/model-worker.ts). The reference names the model files it was computed with, by their
 * sha256: for any other version of the model it does not apply, and a unit test fails until it is made again.
 */

/** The artifact's name in a manifest entry. */
export const REFERENCE_ARTIFACT = "reference";

/**
 * How far a backend may stray: rounding (WebGL on a phone may compute in 16-bit floats) stays far inside these, a
 * miscomputed convolution far outside. Values are the model's own units ([0, 1] for an image).
 */
export const DEFAULT_TOLERANCE = { maxAbs: 0.05, meanAbs: 0.005 } as const;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*=*$/);
const shape = z.array(z.number().int().positive()).min(1);

export const referenceSchema = z.object({
  version: z.literal(1),
  model: z.string(),
  /** The model's files as the manifest listed them when the reference was computed: path -> sha256. */
  files: z.record(z.string(), sha256),
  /** The tfjs backend that computed the expected output. */
  backend: z.string(),
  /** The input, as bytes (value = byte / 255): exact on every backend. */
  input: z.object({ shape, bytes: base64 }),
  /** The expected first output, float32 little-endian. */
  output: z.object({ shape, float32: base64 }),
  tolerance: z.object({ maxAbs: z.number().positive(), meanAbs: z.number().positive() }),
});
export type ReferenceFile = z.infer<typeof referenceSchema>;

export interface Reference {
  model: string;
  files: Record<string, string>;
  input: TensorData;
  expected: TensorData;
  tolerance: { maxAbs: number; meanAbs: number };
}

const elements = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The file's JSON for an input given as bytes and the output the model gave for it. */
export function encodeReference(reference: {
  model: string;
  files: Record<string, string>;
  backend: string;
  input: { shape: number[]; bytes: Uint8Array };
  output: TensorData;
  tolerance?: { maxAbs: number; meanAbs: number };
}): ReferenceFile {
  const { input, output } = reference;
  if (input.bytes.length !== elements(input.shape) || output.data.length !== elements(output.shape)) throw new RangeError("reference data and shape disagree");
  const float32 = new Uint8Array(output.data.length * 4);
  const view = new DataView(float32.buffer);
  output.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return {
    version: 1,
    model: reference.model,
    files: Object.fromEntries(Object.entries(reference.files).sort(([a], [b]) => a.localeCompare(b))),
    backend: reference.backend,
    input: { shape: input.shape, bytes: toBase64(input.bytes) },
    output: { shape: output.shape, float32: toBase64(float32) },
    tolerance: reference.tolerance ?? { ...DEFAULT_TOLERANCE },
  };
}

/** Reads a reference file (its parsed JSON); throws on anything malformed. */
export function decodeReference(json: unknown): Reference {
  const file = referenceSchema.parse(json);
  const bytes = fromBase64(file.input.bytes);
  const float32 = fromBase64(file.output.float32);
  if (bytes.length !== elements(file.input.shape) || float32.length !== 4 * elements(file.output.shape)) {
    throw new RangeError(`reference for ${file.model}: its data does not fill its shapes`);
  }
  const view = new DataView(float32.buffer);
  const expected = Float32Array.from({ length: float32.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
  return {
    model: file.model,
    files: file.files,
    input: { data: Float32Array.from(bytes, (b) => b / 255), shape: file.input.shape },
    expected: { data: expected, shape: file.output.shape },
    tolerance: file.tolerance,
  };
}

/** The model files a manifest entry lists, path -> sha256: what a reference is keyed by. */
export function modelFiles(entry: ModelEntry): Record<string, string> {
  return Object.fromEntries(entry.files.map((f) => [f.path, f.sha256]).sort(([a], [b]) => a.localeCompare(b)));
}

/** Whether the reference was computed with exactly the files this manifest entry lists. */
export function referenceFits(reference: Pick<Reference, "files">, entry: ModelEntry): boolean {
  const files = modelFiles(entry);
  const keys = Object.keys(files);
  return keys.length === Object.keys(reference.files).length && keys.every((path) => reference.files[path] === files[path]);
}

export interface ReferenceCheck {
  ok: boolean;
  maxAbs: number;
  meanAbs: number;
  /** Why it failed, in words, or undefined. */
  reason?: string;
}

/** Compares a backend's output with the reference's expected output. NaN counts as an infinite difference. */
export function checkAgainstReference(actual: TensorData, reference: Reference): ReferenceCheck {
  const { expected, tolerance } = reference;
  if (actual.shape.join("x") !== expected.shape.join("x")) {
    return { ok: false, maxAbs: Infinity, meanAbs: Infinity, reason: `its output is ${actual.shape.join("x")}, the reference's ${expected.shape.join("x")}` };
  }
  let maxAbs = 0;
  let sum = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const d = Math.abs(actual.data[i] - expected.data[i]);
    const diff = Number.isNaN(d) ? Infinity : d;
    maxAbs = Math.max(maxAbs, diff);
    sum += diff;
  }
  const meanAbs = sum / expected.data.length;
  const ok = maxAbs <= tolerance.maxAbs && meanAbs <= tolerance.meanAbs;
  const reason = ok
    ? undefined
    : `its answer to the reference input differs from the expected one (largest difference ${maxAbs.toFixed(3)}, mean ${meanAbs.toFixed(4)}; allowed ${tolerance.maxAbs}, ${tolerance.meanAbs})`;
  return { ok, maxAbs, meanAbs, reason };
}
