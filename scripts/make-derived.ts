// The files derived from the shipped models, made again in one command after a model changes:
//
//   npm run make:derived
//
// 1. models/dae/reference.json: a fixed input tile (a test-set face with gaussian noise) and the DAE's output for
//    it on tfjs' plain CPU backend, listed in models/manifest.json as the DAE's `reference` artifact. Each browser
//    backend must give the same answer within its tolerance before the page trusts it (lib/reference.ts).
// 2. public/illustrations/: the home page's noisy/denoised pair and its picture of the VAE's latent plane, and the
//    denoising page's "how it works" strip, each a real output of the shipped models (lib/illustrations.ts), with
//    made-from.json naming the model files they came from.
//
// tests/unit/derived-files.test.ts fails while either is out of date with models/manifest.json.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import sharp from "sharp";
import { FACE_SIDE, MODELS } from "../lib/catalogue";
import { DIGIT_COLOURS } from "../lib/digit-colours";
import { floatsToBytes, type PixelImage, pixelImage, toFloats } from "../lib/image";
import {
  DAE_KEY,
  HOME_NOISE,
  HOME_PICTURES,
  ILLUSTRATION_SEED,
  ILLUSTRATIONS_DIR,
  illustrationFacePath,
  LATENT_PICTURE_FILES,
  LATENT_PICTURE_MODEL,
  MADE_FROM,
  type MadeFrom,
  STRIP_CLEAN,
  stripPicture,
  TRAINING_CORRUPTIONS,
} from "../lib/illustrations";
import { parseManifest } from "../lib/manifest";
import { addNoise, type NoiseSpec } from "../lib/noise";
import { modelFiles } from "../lib/reference";
import { exportReference } from "../training/export-reference";
import { loadModelFromFile } from "../training/model-files";

type ByteImage = PixelImage<Uint8ClampedArray>;

const MODELS_DIR = path.resolve(process.env.MODELS_DIR ?? "models");
const PUBLIC_DIR = path.resolve("public");
/** The reference input's noise. */
const REFERENCE_NOISE: NoiseSpec = { kind: "gaussian", level: 0.1 };
const PLANE_SIDE = 320;

await tf.setBackend("cpu");
const manifest = parseManifest(JSON.parse(readFileSync(path.join(MODELS_DIR, "manifest.json"), "utf8")));
const daeEntry = manifest.models[DAE_KEY];
if (!daeEntry) throw new Error(`${MODELS_DIR}/manifest.json has no ${DAE_KEY} model`);
const dae = await loadModelFromFile(path.join(MODELS_DIR, MODELS.dae.entry));

async function readFace(publicPath: string): Promise<ByteImage> {
  const { data, info } = await sharp(path.join(PUBLIC_DIR, publicPath)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== FACE_SIDE || info.height !== FACE_SIDE) throw new Error(`${publicPath} is ${info.width}x${info.height}, not ${FACE_SIDE}x${FACE_SIDE}`);
  return pixelImage(new Uint8ClampedArray(data), info.width, info.height);
}

function denoise(noisy: ByteImage): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor4d(toFloats(noisy).data, [1, noisy.height, noisy.width, 3]);
    return (dae.predict(input) as tf.Tensor).dataSync() as Float32Array;
  });
}

async function writePng(name: string, image: PixelImage): Promise<void> {
  const { data, width, height, channels } = image;
  await sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), { raw: { width, height, channels: channels as 3 | 4 } })
    .png({ compressionLevel: 9 })
    .toFile(path.join(PUBLIC_DIR, ILLUSTRATIONS_DIR, `${name}.png`));
}

// --- 1. the reference
const face = await readFace(illustrationFacePath);
const referenceInput = addNoise(face, REFERENCE_NOISE, ILLUSTRATION_SEED);
const shape = [1, FACE_SIDE, FACE_SIDE, 3];
const referencePath = await exportReference(MODELS_DIR, DAE_KEY, daeEntry, {
  backend: tf.getBackend(),
  input: { shape, bytes: new Uint8Array(referenceInput.data) },
  output: { data: denoise(referenceInput), shape },
});
console.log(`wrote models/${referencePath} and its manifest entry`);

// --- 2. the pictures
mkdirSync(path.join(PUBLIC_DIR, ILLUSTRATIONS_DIR), { recursive: true });
const denoised = (noisy: ByteImage) => pixelImage(floatsToBytes(denoise(noisy)), noisy.width, noisy.height);

const homeNoisy = addNoise(face, HOME_NOISE, ILLUSTRATION_SEED);
await writePng(HOME_PICTURES.noisy, homeNoisy);
await writePng(HOME_PICTURES.denoised, denoised(homeNoisy));
await writePng(STRIP_CLEAN, face);
for (const { id, noise } of TRAINING_CORRUPTIONS) {
  const noisy = addNoise(face, noise, ILLUSTRATION_SEED);
  await writePng(stripPicture(id, "noisy"), noisy);
  await writePng(stripPicture(id, "denoised"), denoised(noisy));
}

// The latent plane: the VAE's 2-D codes of the 10,000 test digits, one dot each, coloured by digit, framed on the
// bulk of the codes (the 1st to 99th percentile of each axis, with a margin), on a transparent background.
const vaeArtifacts = manifest.models[LATENT_PICTURE_MODEL]?.artifacts ?? {};
const latentFiles = Object.values(vaeArtifacts).filter((f) => (LATENT_PICTURE_FILES as readonly string[]).includes(f.path));
if (latentFiles.length !== LATENT_PICTURE_FILES.length) throw new Error(`the manifest's ${LATENT_PICTURE_MODEL} lacks ${LATENT_PICTURE_FILES.join(" or ")}`);
const [codesPath, labelsPath] = LATENT_PICTURE_FILES;
const codesBytes = readFileSync(path.join(MODELS_DIR, codesPath));
const codes = new Float32Array(codesBytes.buffer, codesBytes.byteOffset, codesBytes.byteLength / 4);
const labels = readFileSync(path.join(MODELS_DIR, labelsPath));

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
const axis = (k: number) => Array.from({ length: labels.length }, (_, i) => codes[2 * i + k]);
const [xs, ys] = [axis(0), axis(1)];
const frame = (values: number[]) => {
  const [low, high] = [percentile(values, 0.01), percentile(values, 0.99)];
  const margin = (high - low) * 0.08;
  return [low - margin, high + margin] as const;
};
const [[x0, x1], [y0, y1]] = [frame(xs), frame(ys)];
const plane = new Float32Array(PLANE_SIDE * PLANE_SIDE * 4);
const rgb = DIGIT_COLOURS.map((hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
const RADIUS = 1.6;
for (let i = 0; i < labels.length; i++) {
  const cx = ((xs[i] - x0) / (x1 - x0)) * PLANE_SIDE;
  const cy = (1 - (ys[i] - y0) / (y1 - y0)) * PLANE_SIDE;
  const colour = rgb[labels[i]];
  // A soft-edged dot, blended "over" what is already there.
  for (let py = Math.floor(cy - RADIUS - 1); py <= cy + RADIUS + 1; py++) {
    for (let px = Math.floor(cx - RADIUS - 1); px <= cx + RADIUS + 1; px++) {
      if (px < 0 || py < 0 || px >= PLANE_SIDE || py >= PLANE_SIDE) continue;
      const coverage = Math.max(0, Math.min(1, RADIUS + 0.5 - Math.hypot(px + 0.5 - cx, py + 0.5 - cy))) * 0.8;
      if (coverage === 0) continue;
      const o = (py * PLANE_SIDE + px) * 4;
      const alpha = plane[o + 3];
      const outAlpha = coverage + alpha * (1 - coverage);
      for (let c = 0; c < 3; c++) plane[o + c] = (colour[c] * coverage + plane[o + c] * alpha * (1 - coverage)) / outAlpha;
      plane[o + 3] = outAlpha;
    }
  }
}
const planeBytes = Uint8ClampedArray.from(plane, (v, i) => (i % 4 === 3 ? v * 255 : v));
await writePng(HOME_PICTURES.latent, pixelImage(planeBytes, PLANE_SIDE, PLANE_SIDE, 4));

const madeFrom: MadeFrom = {
  dae: modelFiles(daeEntry),
  latent: Object.fromEntries(latentFiles.map((f) => [f.path, f.sha256]).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(path.join(PUBLIC_DIR, ILLUSTRATIONS_DIR, MADE_FROM), `${JSON.stringify(madeFrom, null, 2)}\n`);
console.log(`wrote the pictures and ${MADE_FROM} to public/${ILLUSTRATIONS_DIR}/`);
