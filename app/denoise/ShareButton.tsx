"use client";

import { useState } from "react";
import { CopyButton } from "@/app/_components/CopyButton";
import { deleteShare, postShare } from "@/lib/browser/share-client";
import { errorMessage } from "@/lib/errors";
import type { PixelImage } from "@/lib/image";
import type { NoiseSpec } from "@/lib/noise";
import { formatShareDate } from "@/lib/share-urls";
import { SMALL_BUTTON } from "@/app/_components/buttons";
import { encodePng } from "./photo";

/**
 * "Share this result": posts the noisy and the denoised photo (never the original photo) with the noise setting
 * and the scores to POST /api/share, and shows the public link it answers with, and the delete link that only this
 * visitor gets (the server keeps only its hash), with a button to delete the share at once.
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

interface Shared {
  id: string;
  url: string;
  deleteUrl: string;
  deleteToken: string;
  expiresAt: string;
}

type State =
  | { kind: "idle" }
  | { kind: "sharing" }
  | { kind: "shared"; share: Shared; deleting?: boolean; error?: string }
  | { kind: "deleted" }
  | { kind: "error"; message: string };

const LINK = "break-all text-blue-800 underline hover:no-underline dark:text-blue-300";

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
      const created = await postShare({ noisy: await dataUrl(result.noisy), denoised: await dataUrl(result.denoised), noise: result.noise, metrics: metrics ?? undefined });
      const absolute = (url: string) => new URL(url, window.location.href).href;
      setState({ kind: "shared", share: { ...created, url: absolute(created.url), deleteUrl: absolute(created.deleteUrl) } });
    } catch (error) {
      setState({ kind: "error", message: `Could not share: ${errorMessage(error)}` });
    }
  }

  async function remove(share: Shared) {
    setState({ kind: "shared", share, deleting: true });
    try {
      await deleteShare(share.id, share.deleteToken);
      setState({ kind: "deleted" });
    } catch (error) {
      setState({ kind: "shared", share, error: `Could not delete it: ${errorMessage(error)}` });
    }
  }

  return (
    <div className="mt-3">
      <button type="button" className={SMALL_BUTTON} disabled={!result || current.kind === "sharing"} onClick={share} data-testid="share">
        {current.kind === "sharing" ? "Sharing…" : "Share the noisy and denoised photo"}
      </button>
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">Makes a public link to these two images (at most 512 pixels a side); your original photo is not sent.</p>
      {current.kind === "shared" && (
        <div className="mt-1 space-y-1 text-sm" role="status">
          <p>
            Link:{" "}
            <a href={current.share.url} className={LINK} data-testid="share-link">
              {current.share.url}
            </a>{" "}
            <CopyButton text={current.share.url} label="Copy the link" testId="copy-share-link" />
          </p>
          <p>
            Delete link, for you only (anyone who has it can delete the share):{" "}
            <a href={current.share.deleteUrl} className={LINK} data-testid="share-delete-link">
              {current.share.deleteUrl}
            </a>{" "}
            <CopyButton text={current.share.deleteUrl} label="Copy the delete link" testId="copy-share-delete-link" />
          </p>
          <p className="text-xs text-slate-600 dark:text-slate-400">
            Kept until {formatShareDate(current.share.expiresAt)}, or less if the share storage fills
            up: the oldest shares go first.{" "}
            <button
              type="button"
              className="text-red-800 underline hover:no-underline disabled:opacity-50 dark:text-red-300"
              onClick={() => remove(current.share)}
              disabled={current.deleting}
              data-testid="share-delete"
            >
              {current.deleting ? "Deleting…" : "Delete it now"}
            </button>
          </p>
          {current.error && (
            <p className="text-red-700 dark:text-red-400" role="alert">
              {current.error}
            </p>
          )}
        </div>
      )}
      {current.kind === "deleted" && (
        <p className="mt-1 text-sm" role="status" data-testid="share-deleted">
          Deleted: the link now shows “no such share”.
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
