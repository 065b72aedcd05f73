/**
 * A page's error line: announced to screen readers as it appears, dismissable when `onDismiss` is given. The
 * live region is always there (empty when all is well), so that a new message is read out.
 */
export function ErrorAlert({ message, onDismiss }: { message: string | null; onDismiss?: () => void }) {
  return (
    <div role="alert" aria-live="assertive" data-testid="message" className={message ? "" : "sr-only"}>
      {message && (
        <div className="flex items-start justify-between gap-3 rounded-lg border border-red-300 bg-red-50 px-3 py-2 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100">
          <span>{message}</span>
          {onDismiss && (
            <button type="button" onClick={onDismiss} className="shrink-0 underline" aria-label="Dismiss the message">
              Dismiss
            </button>
          )}
        </div>
      )}
    </div>
  );
}
