import type { Metadata } from "next";
import { BenchRunner } from "./BenchRunner";

/**
 * /bench?backend=webgl: times the models on one backend in this browser, through the same worker the pages use.
 * `npm run bench` (scripts/bench-browser.mjs) opens it in Chromium for each backend and prints the table; it is
 * not linked from the site.
 */

export const metadata: Metadata = { title: "Inference benchmark · Autoencoders in your browser", robots: { index: false } };

export default function BenchPage() {
  return (
    <main className="mx-auto max-w-3xl px-4 py-8 sm:px-6">
      <h1 className="text-2xl font-bold">Inference benchmark</h1>
      <BenchRunner modelsBase="/api/models" />
    </main>
  );
}
