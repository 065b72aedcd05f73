// Writes the denoising page's sample faces, public/samples/face-<index>.png, from the CelebA face test set
// (../shared/data/faces/faces-64-test.u8, 64x64 RGB). Run by hand: npx tsx scripts/make-samples.ts
// Credit: Z. Liu, P. Luo, X. Wang, X. Tang, Deep Learning Face Attributes in the Wild, ICCV 2015 (non-commercial
// research use only).
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { FACE_SIDE } from "../lib/catalogue";
import { SAMPLE_FACE_INDICES, sampleFacePath } from "../lib/samples";

const SIZE = FACE_SIDE;
const BYTES = SIZE * SIZE * 3;

const source = path.resolve(process.argv[2] ?? "../shared/data/faces/faces-64-test.u8");
const faces = readFileSync(source);
mkdirSync("public/samples", { recursive: true });
for (const index of SAMPLE_FACE_INDICES) {
  const pixels = faces.subarray(index * BYTES, (index + 1) * BYTES);
  await sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toFile(`public${sampleFacePath(index)}`);
}
console.log(`wrote ${SAMPLE_FACE_INDICES.length} faces from ${source} to public/samples/`);
