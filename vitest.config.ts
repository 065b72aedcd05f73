import { defineConfig } from "vitest/config";
import { fileURLToPath } from "node:url";

export default defineConfig({
  resolve: {
    alias: {
      "@": fileURLToPath(new URL(".", import.meta.url)),
      // The tests load lib/server/ outside Next's server layer: the marker resolves to its server build there, as
      // it does in Next (and under `node --conditions=react-server`, which the project's server scripts use).
      "server-only": fileURLToPath(new URL("node_modules/server-only/empty.js", import.meta.url)),
    },
  },
  test: {
    include: ["tests/unit/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    // tfjs keeps one global engine per process: isolate files in forks so backends and tensors do not mix.
    pool: "forks",
  },
});
