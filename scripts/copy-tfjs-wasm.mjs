#!/usr/bin/env node
// Copies tfjs' WebAssembly binaries into public/tfjs-wasm/ so that the app serves them itself (no CDN), with the
// threaded build's Emscripten factory as published: its pthread workers load that file, because the bundled copy
// refers to variables of the bundle that a worker does not have (lib/browser/wasm-threads.ts).
// Runs before `next build` and `next dev` (npm's prebuild / predev hooks).
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
const dist = path.join(root, "dist");
const target = path.resolve("public/tfjs-wasm");
mkdirSync(target, { recursive: true });
const binaries = readdirSync(dist).filter((f) => f.endsWith(".wasm"));
if (binaries.length === 0) throw new Error(`no .wasm files in ${dist}`);
// The name is the one lib/browser/wasm-threads.ts asks for (THREADED_FACTORY_FILE).
const factory = path.join(root, "wasm-out", "tfjs-backend-wasm-threaded-simd.js");
if (!existsSync(factory)) throw new Error(`${factory} is missing: the threaded wasm build cannot start its threads`);
for (const file of [...binaries.map((f) => path.join(dist, f)), factory]) copyFileSync(file, path.join(target, path.basename(file)));
console.log(`copied ${[...binaries, path.basename(factory)].join(", ")} to public/tfjs-wasm/`);
