import type { NextConfig } from "next";
import { blobStoreOrigin, securityHeaders } from "./lib/security-headers";

const blobOrigin = blobStoreOrigin(process.env.BLOB_READ_WRITE_TOKEN, process.env.BLOB_ACCESS);

const nextConfig: NextConfig = {
  poweredByHeader: false,
  // Every response, static files and API answers included (lib/security-headers.ts: the security headers and
  // cross-origin isolation for WebAssembly threads); proxy.ts puts the request's nonce into the pages' policy.
  async headers() {
    const headers = securityHeaders({ production: process.env.NODE_ENV === "production", extraOrigins: blobOrigin ? [blobOrigin] : [] });
    return [{ source: "/:path*", headers: Object.entries(headers).map(([key, value]) => ({ key, value })) }];
  },
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
    // The pages render per request (for the CSP nonce: proxy.ts) and read their figures then.
    "/": ["./models/evaluation.json"],
    "/denoise": ["./models/evaluation.json"],
    "/latent": ["./models/evaluation.json"],
  },
};

export default nextConfig;
