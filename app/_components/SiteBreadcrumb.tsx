import Link from "next/link";

/** The link back to the landing page that every page opens with. */
export function SiteBreadcrumb() {
  return (
    <nav aria-label="Breadcrumb" className="text-sm">
      <Link href="/" className="text-blue-800 underline hover:no-underline dark:text-blue-300">
        Autoencoders in your browser
      </Link>
    </nav>
  );
}
