import { builtinModules } from "node:module";
import nextCoreWebVitals from "eslint-config-next/core-web-vitals";
import nextTypeScript from "eslint-config-next/typescript";

/**
 * Beside Next's rules, the boundaries between the runtimes (README, "Layout"): lib/ is shared by the browser, the
 * server and training and may use none of their APIs; lib/browser/ and lib/server/ may not reach into each other;
 * nothing but training (and its tests and scripts) imports training/. An import the wrong way fails the lint.
 */

/** An import specifier of a folder of the project, by alias or by a relative path. */
const folder = (alias, name) => ({ regex: `^(${alias}|(\\.\\./)+${name}|\\./${name})(/|$)` });
const SERVER = { ...folder("@/lib/server", "(lib/)?server"), message: "server-only code (lib/server/) may not be imported here" };
const BROWSER = { ...folder("@/lib/browser", "(lib/)?browser"), message: "browser-only code (lib/browser/) may not be imported here" };
const TRAINING = { ...folder("@/training", "training"), message: "training code (training/) may not be imported here" };
const APP = { ...folder("@/app", "app"), message: "pages and routes (app/) are the top: nothing in lib/ or training/ imports them" };
const NODE = { regex: "^node:", message: "lib/ is shared with the browser: no Node API" };

const boundary = (files, patterns, paths = [], rules = {}) => ({
  files,
  rules: { "no-restricted-imports": ["error", { patterns, paths }], ...rules },
});

const NODE_BUILTINS = builtinModules.map((name) => ({ name, message: "lib/ is shared with the browser: no Node API" }));
const RUNTIME_PACKAGES = ["sharp", "@vercel/blob", "server-only", "write-file-atomic", "react", "react-dom", "next", "comlink"].map((name) => ({
  name,
  message: "lib/ is shared by every runtime: this package belongs to one of them",
}));
/** Globals of one runtime: the browser's page and worker scopes, Node's process. */
const RUNTIME_GLOBALS = ["window", "document", "navigator", "location", "self", "localStorage", "Worker", "OffscreenCanvas", "createImageBitmap", "ImageData", "process", "Buffer", "__dirname", "__filename", "require", "global"];

const config = [
  ...nextCoreWebVitals,
  ...nextTypeScript,
  // public/tfjs-wasm: tfjs' files, copied there by the build (scripts/copy-tfjs-wasm.mjs).
  { ignores: ["node_modules/**", ".next/**", "models/**", "test-results/**", "playwright-report/**", "next-env.d.ts", "public/tfjs-wasm/**"] },
  boundary(["lib/*.ts"], [SERVER, BROWSER, TRAINING, APP, NODE], [...NODE_BUILTINS, ...RUNTIME_PACKAGES], {
    "no-restricted-globals": ["error", ...RUNTIME_GLOBALS.map((name) => ({ name, message: "lib/ is shared by every runtime: use no runtime's own globals" }))],
  }),
  boundary(["lib/browser/**"], [SERVER, TRAINING, APP, NODE]),
  boundary(["lib/server/**"], [BROWSER, TRAINING, APP]),
  boundary(["app/**"], [TRAINING]),
  boundary(["training/**", "scripts/**"], [BROWSER, APP]),
];

export default config;
