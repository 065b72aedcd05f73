#!/usr/bin/env node
// Copies tfjs' WebAssembly binaries into public/tfjs-wasm/ so that the app serves them itself (no CDN).
// Runs before `next build` and `next dev` (npm's prebuild / predev hooks).
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist";
const target = path.resolve("public/tfjs-wasm");
mkdirSync(target, { recursive: true });
const files = readdirSync(dist).filter((f) => f.endsWith(".wasm"));
if (files.length === 0) throw new Error(`no .wasm files in ${dist}`);
for (const file of files) copyFileSync(path.join(dist, file), path.join(target, file));
console.log(`copied ${files.join(", ")} to public/tfjs-wasm/`);
