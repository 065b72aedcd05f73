import { describe, expect, it } from "vitest";
import type { ModelEntry } from "@/lib/manifest";
import { checkAgainstReference, decodeReference, encodeReference, referenceFits } from "@/lib/reference";

/** The reference answer's file format and the comparison a backend must pass (lib/reference.ts). */

const sha = (c: string) => c.repeat(64);
const files = { "m/model.json": sha("a"), "m/w.bin": sha("b") };
const input = { shape: [1, 2, 2, 3], bytes: Uint8Array.from({ length: 12 }, (_, i) => i * 20) };
const output = { shape: [1, 2, 2, 3], data: Float32Array.from({ length: 12 }, (_, i) => i / 11 + 1e-7) };
const file = encodeReference({ model: "m", files, backend: "cpu", input, output });
const reference = decodeReference(JSON.parse(JSON.stringify(file)));
const entry = (list: Record<string, string>) => ({ files: Object.entries(list).map(([path, sha256]) => ({ path, sha256, bytes: 1 })) }) as ModelEntry;

describe("the reference file", () => {
  it("round-trips the input bytes (as values / 255) and the output floats exactly", () => {
    expect(Array.from(reference.input.data)).toEqual(Array.from(input.bytes, (b) => b / 255).map(Math.fround));
    expect(reference.expected).toEqual(output);
    expect(reference.tolerance).toEqual({ maxAbs: 0.05, meanAbs: 0.005 });
  });

  it("refuses a malformed file", () => {
    expect(() => decodeReference({ ...file, version: 2 })).toThrow();
    expect(() => decodeReference({ ...file, output: { ...file.output, shape: [1, 2, 2, 4] } })).toThrow(/does not fill/);
    expect(() => decodeReference({ ...file, files: { x: "not a sha" } })).toThrow();
  });

  it("fits only the model files it was computed with", () => {
    expect(referenceFits(reference, entry(files))).toBe(true);
    expect(referenceFits(reference, entry({ ...files, "m/w.bin": sha("c") }))).toBe(false);
    expect(referenceFits(reference, entry({ ...files, "m/w2.bin": sha("c") }))).toBe(false);
    expect(referenceFits(reference, entry({ "m/model.json": sha("a") }))).toBe(false);
  });
});

describe("checkAgainstReference", () => {
  const shifted = (by: number, at?: number) => ({ shape: output.shape, data: output.data.map((v, i) => (at === undefined || i === at ? v + by : v)) });

  it("passes rounding errors and fails a wrong answer, saying by how much", () => {
    expect(checkAgainstReference(shifted(0.001), reference)).toMatchObject({ ok: true, reason: undefined });
    const far = checkAgainstReference(shifted(0.3, 5), reference);
    expect(far.ok).toBe(false);
    expect(far.maxAbs).toBeCloseTo(0.3, 5);
    expect(far.reason).toMatch(/differs from the expected one \(largest difference 0\.300/);
    // Small everywhere, but too much on average.
    expect(checkAgainstReference(shifted(0.01), reference).ok).toBe(false);
  });

  it("fails NaN and a wrong shape", () => {
    expect(checkAgainstReference(shifted(NaN, 0), reference)).toMatchObject({ ok: false, maxAbs: Infinity });
    expect(checkAgainstReference({ shape: [1, 2, 2, 1], data: new Float32Array(4) }, reference).reason).toMatch(/1x2x2x1/);
  });
});
