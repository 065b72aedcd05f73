import type { Metadata } from "next";
import { SiteBreadcrumb } from "@/app/_components/SiteBreadcrumb";
import { SHARE_LIMITS } from "@/lib/server/share";
import { DenoiseYourOwn } from "./DenoiseYourOwn";

/**
 * What /share/<id> shows, with a 404, for an id that is not a live share: unknown, malformed (proxy.ts sends ids
 * that do not even percent-decode here too), expired or deleted.
 */

export const metadata: Metadata = {
  title: "No such share · Autoencoders in your browser",
  robots: { index: false },
};

export default function NoSuchShare() {
  const days = Math.round(SHARE_LIMITS.maxAgeSeconds / 86_400);
  return (
    <main className="mx-auto max-w-3xl px-4 py-8 sm:px-6" data-testid="no-such-share">
      <SiteBreadcrumb />
      <h1 className="mt-2 text-3xl font-bold tracking-tight">No such share</h1>
      <p className="mt-3 text-slate-700 dark:text-slate-300">
        There is no shared result at this address. Shares are kept for {days} days at most, the oldest go sooner when the
        share storage fills up, and whoever shared one can delete it; or the link may have been cut short when it was
        copied.
      </p>
      <DenoiseYourOwn />
    </main>
  );
}
