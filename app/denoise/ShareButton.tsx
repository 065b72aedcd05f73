"use client";

import { useState } from "react";
import { errorMessage } from "@/lib/errors";
import type { PixelImage } from "@/lib/image";
import type { NoiseSpec } from "@/lib/noise";
import { SMALL_BUTTON } from "./buttons";
import { encodePng } from "./photo";

/**
 * "Share this result": posts the noisy and the denoised photo (never the original photo) with the noise
 * setting and the scores to POST /api/share, and shows the public link it answers with.
 */

export interface SharedResult {
  noisy: PixelImage;
  denoised: PixelImage;
  noise: NoiseSpec;
  metrics: { psnrNoisy: number; psnrDenoised: number; ssimNoisy: number; ssimDenoised: number } | null;
}

async function dataUrl(image: PixelImage): Promise<string> {
  const blob = await encodePng(image);
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** JSON has no Infinity (the PSNR of identical images): it travels as null. */
const finiteOrNull = (value: number) => (Number.isFinite(value) ? value : null);

type State = { kind: "idle" } | { kind: "sharing" } | { kind: "shared"; url: string } | { kind: "error"; message: string };

export function ShareButton({ result }: { result: SharedResult | null }) {
  const [state, setState] = useState<State>({ kind: "idle" });
  const [sharedFor, setSharedFor] = useState<SharedResult | null>(null);
  // A new result makes the old link stale: offer to share again.
  const current = sharedFor === result ? state : { kind: "idle" as const };

  async function share() {
    if (!result) return;
    setSharedFor(result);
    setState({ kind: "sharing" });
    try {
      const metrics = result.metrics && Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [k, finiteOrNull(v)]));
      const response = await fetch("/api/share", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ noisy: await dataUrl(result.noisy), denoised: await dataUrl(result.denoised), noise: result.noise, metrics: metrics ?? undefined }),
      });
      const body = (await response.json().catch(() => null)) as { url?: string; error?: string } | null;
      if (!response.ok || !body?.url) throw new Error(body?.error ?? `HTTP ${response.status}`);
      setState({ kind: "shared", url: new URL(body.url, window.location.href).href });
    } catch (error) {
      setState({ kind: "error", message: `Could not share: ${errorMessage(error)}` });
    }
  }

  return (
    <div className="mt-3">
      <button type="button" className={SMALL_BUTTON} disabled={!result || current.kind === "sharing"} onClick={share} data-testid="share">
        {current.kind === "sharing" ? "Sharing…" : "Share the noisy and denoised photo"}
      </button>
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">Makes a public link to these two images (at most 512 pixels a side); your original photo is not sent.</p>
      {current.kind === "shared" && (
        <p className="mt-1 text-sm" role="status">
          Link:{" "}
          <a href={current.url} className="break-all text-blue-800 underline hover:no-underline dark:text-blue-300" data-testid="share-link">
            {current.url}
          </a>
        </p>
      )}
      {current.kind === "error" && (
        <p className="mt-1 text-sm text-red-700 dark:text-red-400" role="alert">
          {current.message}
        </p>
      )}
    </div>
  );
}
