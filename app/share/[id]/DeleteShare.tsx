"use client";

import { useRouter } from "next/navigation";
import { useState, useSyncExternalStore } from "react";
import { ErrorAlert } from "@/app/_components/ErrorAlert";
import { SMALL_BUTTON } from "@/app/_components/buttons";
import { deleteShare } from "@/lib/browser/share-client";
import { deleteTokenFromFragment } from "@/lib/share-urls";

/**
 * The sharer's delete button. The delete link is this page with the token in the fragment (`#delete=<token>`),
 * which the browser never sends to the server; only a visitor who opened that link sees the button. Once deleted,
 * the page refreshes into "no such share".
 */

function subscribeToHash(onChange: () => void) {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

export function DeleteShare({ id }: { id: string }) {
  const router = useRouter();
  const hash = useSyncExternalStore(subscribeToHash, () => window.location.hash, () => "");
  const token = deleteTokenFromFragment(hash);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!token) return null;

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await deleteShare(id, token as string);
      // The token has done its work: out of the address bar and the history entry.
      window.history.replaceState(null, "", window.location.pathname);
      router.refresh();
    } catch (failure) {
      setError(`Could not delete it: ${failure instanceof Error ? failure.message : String(failure)}`);
      setBusy(false);
    }
  }

  return (
    <section className="mt-6 rounded-lg border border-slate-300 p-4 dark:border-slate-700" aria-label="Delete this share">
      <p className="text-sm text-slate-700 dark:text-slate-300">You opened this share&apos;s delete link, so you can remove it for everyone.</p>
      <button type="button" className={`${SMALL_BUTTON} mt-2`} onClick={remove} disabled={busy} data-testid="delete-share">
        {busy ? "Deleting…" : "Delete this share"}
      </button>
      <div className="mt-2">
        <ErrorAlert message={error} />
      </div>
    </section>
  );
}
