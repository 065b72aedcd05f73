"use client";

import { useId } from "react";
import { ALL_BACKENDS, BACKEND_LABELS, type BackendAttempt } from "@/lib/browser/backends";
import type { InferenceStatus } from "@/lib/browser/inference-client";
import type { BackendChoice } from "@/lib/browser/use-models";
import { formatBytes } from "@/lib/limits";

/**
 * Where the model runs, how fast, how big it is, and the by-hand backend switch. A backend the chain passed over
 * is listed with its reason, in the open; when nothing could run the model, the reasons come as an alert with one
 * button back to the automatic chain, and the last inference time (which no longer holds) is not shown.
 */
export function BackendBadge({
  status,
  lastMs,
  choice,
  onChoice,
}: {
  status: InferenceStatus | null;
  lastMs: number | null;
  choice: BackendChoice;
  onChoice: (choice: BackendChoice) => void;
}) {
  const selectId = useId();
  const phase = status?.phase ?? "loading";
  const backend = status?.backend ?? null;
  // Every model the page loaded (the latent page runs the VAE's encoder and decoder).
  const modelBytes = status?.models.length ? status.models.reduce((sum, m) => sum + m.bytes, 0) : null;
  const failed = status?.attempts.filter((a) => !a.ok) ?? [];
  const shownMs = phase === "ready" ? lastMs : null;
  return (
    <div className="rounded-lg border border-slate-300 bg-slate-50 px-3 py-2 text-sm dark:border-slate-700 dark:bg-slate-900">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="flex items-center gap-1.5" aria-live="polite">
          <span className="text-slate-700 dark:text-slate-300">Running on</span>
          <span
            data-testid="backend"
            data-phase={phase}
            title={backend ? BACKEND_LABELS[backend] : undefined}
            className={`rounded px-2 py-0.5 font-mono font-semibold ${
              phase === "failed" ? "bg-red-700 text-white" : backend ? "bg-slate-900 text-white dark:bg-slate-100 dark:text-slate-900" : "bg-slate-300 text-slate-900"
            }`}
          >
            {phase === "failed" ? "none" : phase === "loading" ? "loading…" : backend}
          </span>
          {backend === "wasm" && status?.wasm && (
            // "wasm x4": its threads; where it fell back to one, why.
            <span data-testid="wasm-threads" className="font-mono text-slate-700 dark:text-slate-300" title={`${status.wasm.threads} WebAssembly ${status.wasm.threads === 1 ? "thread" : "threads"}`}>
              x{status.wasm.threads}
              {status.wasm.singleThreadReason && <span className="font-sans"> (one thread: {status.wasm.singleThreadReason})</span>}
            </span>
          )}
        </span>
        <span className="tabular-nums text-slate-700 dark:text-slate-300">
          inference <span data-testid="inference-ms">{shownMs === null ? "–" : `${shownMs < 10 ? shownMs.toFixed(1) : Math.round(shownMs)} ms`}</span>
        </span>
        <span className="text-slate-700 dark:text-slate-300">
          {(status?.models.length ?? 0) > 1 ? "models" : "model"} <span data-testid="model-size">{modelBytes === null ? "–" : formatBytes(modelBytes)}</span>
          {backend === "server" ? " (stays on the server)" : ""}
        </span>
        <span className="ml-auto flex items-center gap-1.5">
          <label htmlFor={selectId} className="text-slate-700 dark:text-slate-300">
            Backend
          </label>
          <select
            id={selectId}
            data-testid="backend-select"
            value={choice}
            onChange={(e) => onChoice(e.target.value as BackendChoice)}
            className="max-w-full rounded border border-slate-400 bg-white px-1.5 py-1 dark:border-slate-600 dark:bg-slate-950"
          >
            <option value="auto">Automatic</option>
            {ALL_BACKENDS.map((b) => (
              <option key={b} value={b}>
                {BACKEND_LABELS[b]}
              </option>
            ))}
          </select>
        </span>
      </div>
      {phase === "failed" ? (
        <div role="alert" data-testid="backend-failure" className="mt-2 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
          <p className="font-semibold">
            {choice === "auto" ? "No backend could run the model on this device." : `${BACKEND_LABELS[choice]} cannot run the model here.`}
          </p>
          <AttemptList failed={failed} message={status?.message} />
          {choice !== "auto" && (
            <button
              type="button"
              data-testid="back-to-automatic"
              onClick={() => onChoice("auto")}
              className="mt-2 rounded-md bg-red-800 px-3 py-1.5 text-sm font-semibold text-white hover:bg-red-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-600 focus-visible:ring-offset-2"
            >
              Back to Automatic
            </button>
          )}
        </div>
      ) : (
        failed.length > 0 && (
          <div className="mt-1 text-slate-700 dark:text-slate-300">
            <p>Passed over:</p>
            <AttemptList failed={failed} />
          </div>
        )
      )}
    </div>
  );
}

/** Each backend the chain passed over, with its reason. */
function AttemptList({ failed, message }: { failed: BackendAttempt[]; message?: string }) {
  return (
    <ul className="mt-1 list-disc pl-5" data-testid="backend-attempts">
      {failed.map((a, i) => (
        <li key={i}>
          <span className="font-mono">{a.backend}</span>: {a.error}
        </li>
      ))}
      {message && <li>{message}</li>}
    </ul>
  );
}
