import { readFileSync } from "node:fs";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeCrop, encodePng, inspectUpload } from "@/lib/server/image-decode";

/** Decoding on the server keeps nothing between requests: libvips' operation cache is off (docs/server.md, "Throughput"). */
describe("image decoding", () => {
  it("holds no libvips cache after a request's decode and encode", async () => {
    const png = readFileSync("tests/fixtures/images/a-face.png");
    const face = await decodeCrop(png, await inspectUpload(png));
    expect((await sharp(await encodePng(face)).metadata()).width).toBe(64);
    const { memory, items } = sharp.cache() as unknown as { memory: { current: number; max: number }; items: { current: number; max: number } };
    expect({ memory: memory.current, items: items.current, maxItems: items.max }).toEqual({ memory: 0, items: 0, maxItems: 0 });
  });
});
