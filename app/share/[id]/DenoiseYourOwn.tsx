import Link from "next/link";

/** The way from a share (or a missing one) into the demo. */
export function DenoiseYourOwn() {
  return (
    <p className="mt-6">
      <Link href="/denoise" className="text-blue-800 underline hover:no-underline dark:text-blue-300">
        Denoise a face of your own
      </Link>
    </p>
  );
}
