import type { NextConfig } from "next";

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
};

export default nextConfig;
