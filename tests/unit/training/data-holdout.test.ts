import { describe, expect, it } from "vitest";
import { type FaceSet, firstFaces, holdOutFaces, loadFaces } from "@/training/data/faces";
import { fixture } from "./data-test-helpers";

/** The validation faces held out of the training data: whole people, never the test set, the same every run. */

const SIDE = 4;
const BYTES = SIDE * SIDE * 3;

/** Faces whose every byte is its index, so that a face can be told by its pixels. */
function faces(identities: number[] | undefined, count = identities?.length ?? 10): FaceSet {
  const pixels = new Uint8Array(count * BYTES);
  for (let i = 0; i < count; i++) pixels.fill(i, i * BYTES, (i + 1) * BYTES);
  return { pixels, count, size: SIDE, source: "test", ...(identities ? { identities } : {}) };
}

const indexOf = (set: FaceSet) => Array.from({ length: set.count }, (_, i) => set.pixels[i * BYTES]);

describe("holdOutFaces", () => {
  const identities = [7, 3, 7, 9, 1, 3, 3, 5, 9, 2, 8, 8, 4, 1];

  it("holds out whole people: no one is on both sides, and nothing is lost or doubled", () => {
    const { train, validation } = holdOutFaces(faces(identities), 4, 1);
    expect(validation.count).toBeGreaterThanOrEqual(4);
    const trainPeople = new Set(train.identities);
    expect(validation.identities!.filter((id) => trainPeople.has(id))).toEqual([]);
    expect([...indexOf(train), ...indexOf(validation)].sort((a, b) => a - b)).toEqual(identities.map((_, i) => i));
    // Each face keeps its identity.
    for (const part of [train, validation]) indexOf(part).forEach((face, k) => expect(part.identities![k]).toBe(identities[face]));
    expect(validation.source).toMatch(/people not in the training part/);
  });

  it("takes the same people for the same seed, other people for another", () => {
    const pick = (seed: number) => indexOf(holdOutFaces(faces(identities), 4, seed).validation);
    expect(pick(1)).toEqual(pick(1));
    expect([2, 3, 4, 5].map(pick).some((faces) => JSON.stringify(faces) !== JSON.stringify(pick(1)))).toBe(true);
  });

  it("without identities, holds out the last faces and says so", () => {
    const { train, validation } = holdOutFaces(faces(undefined, 10), 3, 1);
    expect(indexOf(validation)).toEqual([7, 8, 9]);
    expect(indexOf(train)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(validation.source).toMatch(/names no people/);
  });

  it("refuses to hold out everything", () => {
    expect(() => holdOutFaces(faces(undefined, 3), 3, 1)).toThrow(RangeError);
  });

  it("firstFaces keeps the first faces with their identities", () => {
    const first = firstFaces(faces(identities), 3);
    expect(indexOf(first)).toEqual([0, 1, 2]);
    expect(first.identities).toEqual([7, 3, 7]);
    expect(firstFaces(faces(identities), undefined).count).toBe(identities.length);
  });

  it("reads the people of a .u8 file from its header's identity_ids", async () => {
    const set = await loadFaces(fixture("faces-small.u8"));
    expect(set.identities).toHaveLength(set.count);
    expect(set.identities!.every(Number.isInteger)).toBe(true);
  });
});
