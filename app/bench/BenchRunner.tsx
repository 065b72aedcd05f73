"use client";

import { useEffect, useState } from "react";
import { isClientBackend } from "@/lib/browser/backends";
import { InferenceClient, type RunResult } from "@/lib/browser/inference-client";
import { parseThreadCount } from "@/lib/browser/wasm-threads";
import { daeTileOptions, FACE_SIDE, LATENT_DIM, MODELS } from "@/lib/catalogue";
import { errorMessage } from "@/lib/errors";

/**
 * Runs each case once cold (the first run on this backend: shader compilation or kernel set-up included) and then
 * `runs` times warm, timing each in the worker (model time, output read back) and around the call (plus the
 * messages to and from the worker). No warm-up at start, so the first run really is the first. On wasm,
 * `?threads=N` sets its threads (by default one per core, as on the pages), and the page reports the pool it got.
 */

export interface BenchCase {
  name: string;
  firstMs: number;
  medianMs: number;
  medianWallMs: number;
  runs: number;
}

declare global {
  interface Window {
    __bench?: { backend: string; threads?: number; singleThreadReason?: string; cases: BenchCase[]; error?: string; done: boolean };
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function timeCase(name: string, runs: number, run: () => Promise<RunResult<unknown>>): Promise<BenchCase> {
  const times: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const t0 = performance.now();
    const result = await run();
    wall.push(performance.now() - t0);
    times.push(result.ms);
  }
  return { name, firstMs: times[0], medianMs: median(times.slice(1)), medianWallMs: median(wall.slice(1)), runs };
}

function noise(size: number): Float32Array {
  // A fixed pseudo-random image: the same work on every backend, and no constant input a backend could shortcut.
  return Float32Array.from({ length: size }, (_, i) => ((i * 2654435761) % 1000) / 1000);
}

export function BenchRunner({ modelsBase }: { modelsBase: string }) {
  const [state, setState] = useState<Window["__bench"] | null>(null);

  useEffect(() => {
    const params = new URLSearchParams(window.location.search);
    const backend = params.get("backend") ?? "wasm";
    const scale = Number(params.get("runs") ?? 1);
    const wasmThreads = parseThreadCount(params.get("threads")) ?? undefined;
    const client = isClientBackend(backend)
      ? new InferenceClient({ modelsBase, models: [MODELS.dae, MODELS.vaeDecoder], skipWarmup: true, backends: [backend], wasmThreads })
      : null;
    const report = (next: Window["__bench"]) => {
      window.__bench = next;
      setState(next);
    };
    (async () => {
      if (!client) throw new Error(`unknown backend ${backend}: choose webgpu, webgl, wasm or cpu`);
      const status = await client.start();
      if (status.phase !== "ready" || status.backend !== backend) throw new Error(status.message ?? `${backend} did not start`);
      const about = { backend, threads: status.wasm?.threads, singleThreadReason: status.wasm?.singleThreadReason };
      const config = status.models.find((m) => m.name === MODELS.dae.key)?.config;
      const cases: BenchCase[] = [];
      const face = { data: noise(FACE_SIDE * FACE_SIDE * 3), shape: [1, FACE_SIDE, FACE_SIDE, 3] };
      cases.push(await timeCase(`DAE ${FACE_SIDE}x${FACE_SIDE}`, 10 * scale, () => client.predict(MODELS.dae.key, face)));
      report({ ...about, cases: [...cases], done: false });
      const big = { data: new Uint8ClampedArray(noise(512 * 512 * 3).map((v) => v * 255)), width: 512, height: 512, channels: 3 };
      const signal = new AbortController().signal;
      cases.push(await timeCase("DAE 512x512 (4 tiles of 256)", 2 * scale, () => client.tiled(MODELS.dae.key, big, daeTileOptions(config), () => {}, signal)));
      report({ ...about, cases: [...cases], done: false });
      for (const batch of [1, 400]) {
        const z = { data: noise(batch * LATENT_DIM).map((v) => 4 * v - 2), shape: [batch, LATENT_DIM] };
        cases.push(await timeCase(`VAE decoder, batch ${batch}`, (batch === 1 ? 20 : 5) * scale, () => client.predict(MODELS.vaeDecoder.key, z)));
      }
      report({ ...about, cases, done: true });
    })().catch((error: unknown) => report({ backend, cases: [], error: errorMessage(error), done: true }));
    return () => client?.dispose();
  }, [modelsBase]);

  if (!state) return <p>Starting…</p>;
  return (
    <div data-testid="bench">
      <p>
        Backend: <span className="font-mono">{state.backend}</span>
        {state.threads !== undefined && (
          <span className="font-mono" data-testid="bench-threads">
            {" "}
            x{state.threads}
          </span>
        )}
        {state.singleThreadReason && ` (one thread: ${state.singleThreadReason})`} {state.done ? "(done)" : "(running…)"}
      </p>
      {state.error && <p role="alert">{state.error}</p>}
      <table className="mt-3 text-sm tabular-nums">
        <thead>
          <tr>
            <th className="pr-4 text-left">case</th>
            <th className="pr-4 text-right">first (ms)</th>
            <th className="pr-4 text-right">median (ms)</th>
          </tr>
        </thead>
        <tbody>
          {state.cases.map((c) => (
            <tr key={c.name}>
              <td className="pr-4">{c.name}</td>
              <td className="pr-4 text-right">{c.firstMs.toFixed(1)}</td>
              <td className="pr-4 text-right">{c.medianMs.toFixed(1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
