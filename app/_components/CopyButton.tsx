"use client";

import { useEffect, useState } from "react";
import { SMALL_BUTTON } from "./buttons";

/**
 * Copies `text` to the clipboard and says so for a moment. The clipboard needs a secure context (https or
 * localhost) and may be refused; then the button says to copy by hand, and the link beside it is still there.
 */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [outcome, setOutcome] = useState<"idle" | "copied" | "failed">("idle");

  useEffect(() => {
    if (outcome === "idle") return;
    const timer = setTimeout(() => setOutcome("idle"), 2500);
    return () => clearTimeout(timer);
  }, [outcome]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setOutcome("copied");
    } catch {
      setOutcome("failed");
    }
  }

  return (
    <button type="button" className={`${SMALL_BUTTON} px-2 py-0.5 text-xs`} onClick={copy} aria-label={label} data-testid={testId}>
      <span aria-live="polite">{outcome === "copied" ? "Copied" : outcome === "failed" ? "Copy it by hand" : "Copy"}</span>
    </button>
  );
}
