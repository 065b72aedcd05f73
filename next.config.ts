import type { NextConfig } from "next";

/**
 * Cross-origin isolation, on every response: the browser gives an isolated page (and its workers) SharedArrayBuffer,
 * which tfjs' WebAssembly threads need (lib/browser/wasm-threads.ts). `require-corp`, not `credentialless`: Safari
 * isolates only with `require-corp`, and everything the pages load is same-origin (models through /api/models,
 * shared images through /api/share, tfjs' files from /tfjs-wasm); a cross-origin `fetch` with CORS still works,
 * only a no-cors subresource from another origin would need `Cross-Origin-Resource-Policy`. The worker scripts
 * (/_next/static) carry the headers too: a dedicated worker is isolated by its own script's response. tfjs'
 * pthread workers start from `blob:` URLs: a Content-Security-Policy needs `worker-src 'self' blob:` and
 * `script-src ... blob:` beside these.
 */
const CROSS_ORIGIN_ISOLATION_HEADERS = [
  { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
  { key: "Cross-Origin-Embedder-Policy", value: "require-corp" },
];

const nextConfig: NextConfig = {
  // tfjs must stay outside the server bundle: the wasm backend looks for its .wasm files next to its own
  // module file, which bundling would move.
  serverExternalPackages: [
    "@tensorflow/tfjs",
    "@tensorflow/tfjs-core",
    "@tensorflow/tfjs-layers",
    "@tensorflow/tfjs-converter",
    "@tensorflow/tfjs-data",
    "@tensorflow/tfjs-backend-cpu",
    "@tensorflow/tfjs-backend-wasm",
    "@tensorflow/tfjs-backend-webgl",
    "@tensorflow/tfjs-backend-webgpu",
    "@tensorflow/tfjs-node",
    "@tensorflow/tfjs-node-gpu",
    "sharp",
  ],
  // Without a Blob store, the route handlers read models/ from disk (GET /api/models/..., POST /api/denoise):
  // ship it with them.
  outputFileTracingIncludes: {
    "/api/**/*": ["./models/**/*"],
  },
  async headers() {
    return [{ source: "/:path*", headers: CROSS_ORIGIN_ISOLATION_HEADERS }];
  },
};

export default nextConfig;
